"""Helpers shared by every form."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from market.core.db import db
from market.core.errors import DomainError

T = TypeVar("T")


def apply_field_errors(form: FlaskForm, error: DomainError) -> None:
    """Show a service's field errors next to the fields; the rest goes to the form-level list.

    Each message appears once: a summary that only repeats a field's own message is left out (the
    form's summary then links to the fields instead)."""
    general: list[str] = []
    beside_fields: list[str] = []
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        texts = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        if field is not None:
            field.errors = list(field.errors) + texts
            beside_fields += texts
        else:
            general += texts
    summary = str(error.message)
    repeats = any(text and text in summary for text in beside_fields)
    form.form_errors = list(getattr(form, "form_errors", [])) + ([] if repeats else [summary]) + general


def handle_form(form: FlaskForm, template: str, operation: Callable[[], T],
                on_success: Callable[[T], ResponseReturnValue], *, authorise: Callable[[], None] | None = None,
                **context: Any) -> ResponseReturnValue:
    """The one create/edit flow: validate, run the service, commit and redirect —
    or re-render the form with the user's data and the errors, writing nothing.

    ``authorise`` (raising :class:`~market.core.errors.PermissionDenied`) runs before the form is
    checked, so that someone who may not act is refused as such, whatever they sent.
    """
    if authorise is not None and form.is_submitted():
        authorise()
    if form.validate_on_submit():
        try:
            result = operation()
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            return render_template(template, form=form, **context), error.status_code
        db.session.commit()
        return on_success(result)
    return render_template(template, form=form, **context), 400 if form.errors else 200


def require_form(form: FlaskForm) -> FlaskForm:
    """A button's form (its CSRF token and fields) or a 400 answer when it does not validate."""
    from flask import abort

    if not form.validate_on_submit():
        abort(400)
    return form


def upload_limits(max_bytes: int, max_files: int) -> dict[str, Any]:
    """``render_kw`` of a file field: the browser refuses too many or too large files before
    sending anything, so the rest of the form is never lost to an oversize request."""
    from flask_babel import lazy_gettext as _l

    size = f"{max_bytes // (1024 * 1024)} MB"
    return {"data-max-bytes": max_bytes, "data-max-files": max_files,
            "data-too-large": _l("%(name)s is larger than %(size)s.", name="{name}", size=size),
            "data-too-many": _l("At most %(n)d files at once.", n=max_files)}


def saved(message: str, target: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(target)
