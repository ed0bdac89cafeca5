"""The notification settings form: an e-mail and an SMS box per kind of notice."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField

from market.notifications.services import Choice, KindChoice


def field_name(channel: str, kind: str) -> str:
    """``email__micro__round_opened``: a form field's name for a channel and a kind."""
    return f"{channel}__{kind.replace('.', '__')}"


class PreferencesForm(FlaskForm):
    """Built per request with one pair of boxes per kind (see :func:`preferences_form`)."""

    submit = SubmitField(_l("Save"))

    def choices(self, kinds: Iterable[str]) -> dict[str, Choice]:
        return {kind: Choice(email=bool(self[field_name("email", kind)].data),
                             sms=bool(self[field_name("sms", kind)].data)) for kind in kinds}


def preferences_form(lines: list[KindChoice], **kwargs) -> PreferencesForm:
    """A form with the user's current choices as defaults (a posted form overrides them)."""

    class Form(PreferencesForm):
        pass

    for line in lines:
        setattr(Form, field_name("email", line.kind), BooleanField(_l("E-mail"), default=line.choice.email))
        setattr(Form, field_name("sms", line.kind), BooleanField(_l("SMS"), default=line.choice.sms))
    return Form(**kwargs)


class ConfirmForm(FlaskForm):
    """A button: unsubscribe, retry or discard."""

    submit = SubmitField(_l("Confirm"))
