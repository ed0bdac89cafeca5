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

from market.bids.services import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from market.ui.fields import OptionalIntSelectField, YuanField
from market.ui.forms import upload_limits

_ATTACHMENT_LIMITS = upload_limits(MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS)


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


class TenderForm(FlaskForm):
    bid_deadline = DateTimeLocalField(_l("Bid deadline (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                      validators=[DataRequired()])
    requirements = TextAreaField(_l("What bidders must offer (Chinese)"), validators=[DataRequired(), Length(max=20000)])
    requirements_en = TextAreaField(_l("What bidders must offer (English)"), validators=[Optional(), Length(max=20000)])
    criteria = FieldList(FormField(CriterionForm), min_entries=7, max_entries=12)
    lots = FieldList(FormField(LotForm), min_entries=4, max_entries=12)
    submit = SubmitField(_l("Publish"))


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
