from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from market.ui.fields import OptionalIntSelectField, SelectField, choices_of


class RunForm(FlaskForm):
    solver = SelectField(_l("Solver"), choices=choices_of((("cbc", "CBC"), ("highs", "HiGHS"))), default="cbc")
    time_limit = IntegerField(_l("Time limit (seconds)"), default=60, validators=[DataRequired(), NumberRange(1, 600)])
    max_provider_share = IntegerField(_l("Fairness cap: no provider above this share of the total value (%)"),
                                      validators=[Optional(), NumberRange(1, 100)])
    fund_government_services = BooleanField(_l("Also fund government-purchased services from the pools"))


class DecisionForm(FlaskForm):
    kind = SelectField(_l("Decision"))
    target = SelectField(_l("Provider or pool"))
    lot_id = OptionalIntSelectField(_l("Lot"))
    reason = TextAreaField(_l("Reason (kept in the record)"), validators=[DataRequired(), Length(min=5, max=2000)])


class ApproveForm(FlaskForm):
    reason = TextAreaField(_l("Reasons published with the award"), validators=[Optional(), Length(max=2000)])
    notice_days = IntegerField(_l("Notice period (working days)"), default=5, validators=[DataRequired(),
                                                                                          NumberRange(1, 30)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Why not"), validators=[DataRequired(), Length(min=5, max=2000)])


class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("Your objection"), validators=[DataRequired(), Length(min=10, max=5000)])


class AnswerForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), choices=choices_of((("dismiss", _l("Dismiss: the award stands")),
                                                           ("uphold", _l("Uphold: cancel the award")))),
                         default="dismiss", validators=[DataRequired()])
    answer = TextAreaField(_l("Published answer"), validators=[DataRequired(), Length(min=5, max=5000)])


class VocabularyTermForm(FlaskForm):
    """A word officials add to the matching vocabulary (the category's choices are set by the route). What is
    required and how long it may be is checked by the service, which names every wrong field at once."""

    category_id = OptionalIntSelectField(_l("Category"))
    skill = StringField(_l("Skill"),
                        description=_l("An existing skill of the category, or a new one."))
    term = StringField(_l("Word or phrase"),
                       description=_l("How tenders, policy documents or providers name this skill."))
    language = RadioField(_l("Language of the word"), choices=choices_of((("zh", _l("Chinese")),
                                                                         ("en", _l("English")))),
                          default="zh")


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token (buttons that change state)."""

    token = HiddenField()
