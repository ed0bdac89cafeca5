from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from market.panels.services import PANEL_SIZES, reason_field, score_field
from market.ui.fields import OptionalIntSelectField, SelectField, SelectMultipleField, choices_of


class ExpertForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=100)])
    title = StringField(_l("Title or profession (Chinese)"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Title or profession (English)"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    category_ids = SelectMultipleField(_l("Fields of expertise"), coerce=int, validators=[DataRequired()])
    organization_id = OptionalIntSelectField(_l("Current organisation"))
    user_email = StringField(_l("Linked account (e-mail; optional, experts need no account)"),
                             validators=[Optional(), Length(max=254)])
    is_active = BooleanField(_l("In the pool (may be drawn)"), default=True)


class EmploymentForm(FlaskForm):
    organization_id = OptionalIntSelectField(_l("Organisation"), validators=[DataRequired()])
    started_on = DateField(_l("From"), validators=[DataRequired()])
    ended_on = DateField(_l("Until (empty: still there)"), validators=[Optional()])


class RelationshipForm(FlaskForm):
    organization_id = OptionalIntSelectField(_l("Organisation"), validators=[DataRequired()])
    note = TextAreaField(_l("What the relationship is"), validators=[DataRequired(), Length(min=5, max=2000)])


class DrawForm(FlaskForm):
    size = SelectField(_l("Panel size"), coerce=int, choices=choices_of((n, str(n)) for n in PANEL_SIZES), default=5)
    fallback_reason = TextAreaField(_l("If too few experts of the project's field are eligible: why the whole pool "
                                       "is used"), validators=[Optional(), Length(max=2000)])


class RedrawForm(FlaskForm):
    replaced_ids = SelectMultipleField(_l("Members to replace"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(_l("Why (kept in the record)"), validators=[DataRequired(), Length(min=5, max=2000)])
    fallback_reason = TextAreaField(_l("If too few experts of the project's field are eligible: why the whole pool "
                                       "is used"), validators=[Optional(), Length(max=2000)])


class ComplaintForm(FlaskForm):
    text = TextAreaField(_l("Your complaint (published with its answer)"),
                         validators=[DataRequired(), Length(min=10, max=5000)])


class AnswerForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), choices=choices_of((("dismiss", _l("Dismiss: the candidates stand")),
                                                           ("uphold", _l("Uphold: the panel re-scores")))),
                         default="dismiss", validators=[DataRequired()])
    answer = TextAreaField(_l("Published answer"), validators=[DataRequired(), Length(min=5, max=5000)])


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token (buttons that change state)."""

    token = HiddenField()


def score_sheet_form(bid_ids: list[int], member_ids: list[int], criteria_count: int,
                     values: dict[tuple[int, int, int], int] | None = None,
                     reasons: dict[int, str] | None = None) -> FlaskForm:
    """A form with one cell per bid, member and criterion and one reasons field per bid. Ranges and
    completeness are the service's to check, so every problem is reported in one place."""

    class ScoreSheetForm(FlaskForm):
        pass

    for bid_id in bid_ids:
        for member_id in member_ids:
            for criterion in range(criteria_count):
                setattr(ScoreSheetForm, score_field(bid_id, member_id, criterion),
                        IntegerField(validators=[Optional()], render_kw={"min": 0, "max": 100, "step": 1}))
        setattr(ScoreSheetForm, reason_field(bid_id),
                TextAreaField(_l("The panel's reasons"), validators=[Optional(), Length(max=5000)]))
    form: Any = ScoreSheetForm()
    if not form.is_submitted():
        for key, value in (values or {}).items():
            getattr(form, score_field(*key)).data = value
        for bid_id, text in (reasons or {}).items():
            getattr(form, reason_field(bid_id)).data = text
    return form
