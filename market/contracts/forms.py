from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from market.bids.services import MAX_ATTACHMENT_BYTES
from market.contracts.models import EvaluationConclusion
from market.ui.fields import OptionalIntSelectField, choices_of
from market.ui.forms import upload_limits


class MilestoneSubmitForm(FlaskForm):
    note = TextAreaField(_l("What was delivered"), validators=[DataRequired(), Length(min=5, max=5000)])


class MilestoneReturnForm(FlaskForm):
    reason = TextAreaField(_l("What is missing"), validators=[DataRequired(), Length(min=5, max=2000)])


class EvaluationForm(FlaskForm):
    """Acceptance with a third-party evaluation; the service checks every field and says what is missing."""

    evaluator_org_id = OptionalIntSelectField(_l("Evaluator registered here (verified organisations)"))
    evaluator_name = StringField(_l("Or, when it is not registered here: its full name"),
                                 validators=[Optional(), Length(max=200)])
    evaluator_credit_code = StringField(_l("and its unified social credit code"),
                                        validators=[Optional(), Length(max=30)])
    report = FileField(_l("Evaluation report (PDF, DOCX, JPEG or PNG; at most 10 MB)"),
                       render_kw=upload_limits(MAX_ATTACHMENT_BYTES, 1))
    conclusion = RadioField(_l("Conclusion"), choices=choices_of((c.value, c.lazy_label) for c in EvaluationConclusion),
                            validate_choice=False)
    summary = TextAreaField(_l("Summary of the findings (published with the contract)"),
                            validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record the evaluation"))


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token (buttons that change state)."""

    token = HiddenField()
