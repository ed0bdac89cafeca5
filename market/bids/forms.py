from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.bids.models import ProcurementMethod
from market.bids.services import (
    ANSWER_CHARS,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    QUESTION_CHARS,
)
from market.geo.models import ProjectType
from market.ui.fields import OptionalIntSelectField, SelectField, SelectMultipleField, YuanField, choices_of
from market.ui.forms import upload_limits
from market.ui.security import MAX_ID

_ATTACHMENT_LIMITS = upload_limits(MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS)
_DOCUMENT_LIMITS = upload_limits(MAX_DOCUMENT_BYTES, MAX_DOCUMENTS)


def lot_type(value: object) -> ProjectType | str | None:
    """A lot type from the form: empty is the project's type (None); an unknown value stays as sent, for the
    field's choice check to refuse."""
    if value in (None, "", "None"):
        return None
    return ProjectType(value) if value in {t.value for t in ProjectType} else str(value)


def lot_type_choices() -> list:
    """What a lot buys: the project's type unless the official chooses another."""
    return choices_of([("", _l("Same as the project"))] + [(t.value, t.lazy_label) for t in ProjectType])


def method_choices() -> list:
    return choices_of((m.value, m.lazy_label) for m in ProcurementMethod)


class CriterionForm(Form):
    name = StringField(_l("Criterion (Chinese)"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Criterion (English)"), validators=[Optional(), Length(max=200)])
    weight = IntegerField(_l("Weight (%)"), validators=[Optional(), NumberRange(0, 100)])


class LotForm(Form):
    title = StringField(_l("Lot title (Chinese)"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Lot title (English)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("What the lot covers"), validators=[Optional(), Length(max=5000)])
    budget = YuanField(_l("Lot budget (yuan)"), validators=[Optional()])
    category_id = OptionalIntSelectField(_l("Category (empty = the project's)"))
    project_type = SelectField(_l("Type"), default=None, choices=lot_type_choices(), coerce=lot_type)


class TenderForm(FlaskForm):
    bid_deadline = DateTimeLocalField(_l("Bid deadline (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                      validators=[DataRequired()])
    requirements = TextAreaField(_l("What bidders must offer (Chinese)"), validators=[DataRequired(), Length(max=20000)])
    requirements_en = TextAreaField(_l("What bidders must offer (English)"), validators=[Optional(), Length(max=20000)])
    method = SelectField(_l("Procurement method"), default=ProcurementMethod.OPEN_TENDER.value,
                         choices=method_choices())
    method_reason = TextAreaField(_l("Public reason (required for a single source)"),
                                  validators=[Optional(), Length(max=5000)])
    invited = SelectMultipleField(_l("Invited organisations (invited tender: at least 3; single source: the one "
                                     "supplier)"), coerce=int, validators=[Optional()])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    criteria = FieldList(FormField(CriterionForm), _l("Scoring criteria"), min_entries=7, max_entries=12)
    lots = FieldList(FormField(LotForm), _l("Lots"), min_entries=4, max_entries=12)
    submit = SubmitField(_l("Publish"))


class RepublishForm(FlaskForm):
    bid_deadline = DateTimeLocalField(_l("New bid deadline (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                      validators=[DataRequired()])
    method = SelectField(_l("Procurement method"), choices=method_choices())
    reason = TextAreaField(_l("Public reason for switching the method"), validators=[Optional(), Length(max=5000)])
    invited = SelectMultipleField(_l("Invited organisations"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Publish again"))


class DocumentForm(FlaskForm):
    documents = MultipleFileField(_l("Tender documents (PDF, Word, Excel, JPEG or PNG; at most 20 MB each)"),
                                  validators=[DataRequired()], render_kw=_DOCUMENT_LIMITS)


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Your question (only the officials see who asked)"),
                             validators=[DataRequired(), Length(min=QUESTION_CHARS[0], max=QUESTION_CHARS[1])])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer (published to everyone at once)"),
                           validators=[DataRequired(), Length(min=ANSWER_CHARS[0], max=ANSWER_CHARS[1])])


class ClarificationForm(FlaskForm):
    question = TextAreaField(_l("Subject (optional)"), validators=[Optional(), Length(max=QUESTION_CHARS[1])])
    answer = TextAreaField(_l("Clarification (published to everyone at once)"),
                           validators=[DataRequired(), Length(min=ANSWER_CHARS[0], max=ANSWER_CHARS[1])])


class SettingsForm(FlaskForm):
    direct_commission_max = YuanField(_l("Direct commission only below (yuan)"), validators=[InputRequired()])
    single_source_notice_days = IntegerField(_l("Single-source notice (working days)"),
                                             validators=[InputRequired(), NumberRange(1, 30)])
    clarification_days = IntegerField(_l("Working days bidders keep after a late clarification"),
                                      validators=[InputRequired(), NumberRange(1, 30)])
    number_prefix = StringField(_l("Number prefix of departments without a code of their own"),
                                validators=[Optional(), Length(max=12)])
    submit = SubmitField(_l("Save"))


class DepartmentCodeForm(FlaskForm):
    org_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    code = StringField(_l("Procurement code"), validators=[Optional(), Length(max=12)])


class BidForm(FlaskForm):
    lot_id = OptionalIntSelectField(_l("Lot"))
    price = YuanField(_l("Price (yuan)"), validators=[InputRequired()])
    proposal = TextAreaField(_l("Proposal: how you will deliver the service"),
                             validators=[DataRequired(), Length(max=20000)])
    team = TextAreaField(_l("Team: who will do the work"), validators=[Optional(), Length(max=5000)])
    timeline = TextAreaField(_l("Timeline"), validators=[Optional(), Length(max=5000)])
    attachments = MultipleFileField(_l("Attachments (PDF, Word, Excel, JPEG or PNG; at most 10 MB each)"),
                                    render_kw=_ATTACHMENT_LIMITS)
    submit = SubmitField(_l("Submit the sealed bid"))


class AttachmentForm(FlaskForm):
    attachments = MultipleFileField(_l("Add files"), validators=[DataRequired()], render_kw=_ATTACHMENT_LIMITS)
