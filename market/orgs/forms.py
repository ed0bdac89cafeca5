from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from market.geo.models import ProjectType
from market.orgs.models import DocumentKind, Qualification
from market.orgs.services import MAX_DOCUMENT_BYTES
from market.ui.fields import OptionalIntSelectField, SelectField, SelectMultipleField, choices_of
from market.ui.forms import upload_limits


class OrgForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"))
    credit_code = StringField(_l("Unified social credit code"), validators=[Optional(), Length(max=30)],
                              description=_l("统一社会信用代码: the 18 characters on the registration certificate."))
    registration_date = DateField(_l("Registration date"), validators=[Optional()])
    full_time_staff = IntegerField(_l("Full-time staff"), default=0, validators=[Optional(), NumberRange(0, 100000)])
    office_area_m2 = IntegerField(_l("Office area (m²)"), default=0, validators=[Optional(), NumberRange(0, 1000000)])
    rating_grade = SelectField(_l("Rating grade"), coerce=int,
                               choices=choices_of([(0, _l("Not rated"))] + [(g, f"{g}A") for g in range(1, 6)]))
    capacity = IntegerField(_l("Capacity (projects at once)"), default=1, validators=[Optional(), NumberRange(0, 1000)])
    capability = TextAreaField(_l("Capabilities (Chinese)"), validators=[Optional(), Length(max=5000)])
    capability_en = TextAreaField(_l("Capabilities (English)"), validators=[Optional(), Length(max=5000)])
    category_ids = SelectMultipleField(_l("Service categories"), coerce=int)
    supplies = SelectMultipleField(_l("Can be contracted for"),
                                   choices=choices_of([(t.value, t.lazy_label) for t in ProjectType]),
                                   default=["service"],
                                   description=_l("Matching proposes the organisation only for projects of these "
                                                  "types; nothing chosen means services."))
    qualifications = SelectMultipleField(_l("Licences held"),
                                         choices=choices_of([(q.value, q.lazy_label) for q in Qualification]))
    home_street_id = OptionalIntSelectField(_l("Home street"))
    district_id = OptionalIntSelectField(_l("District registered in"), description=_l(
        "Needed when the organisation has no home street: the district whose officials verify and oversee it."))
    service_street_ids = SelectMultipleField(_l("Serves these streets"), coerce=int)
    serves_whole_district = BooleanField(_l("Serves the whole district"))
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])
    contact_phone = TelField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    document_kind = SelectField(_l("Kind of document"), choices=choices_of([(k.value, k.lazy_label) for k in DocumentKind]),
                                default=DocumentKind.REGISTRATION.value)
    documents = MultipleFileField(_l("Certificates (PDF, JPEG or PNG, at most 10 MB each)"),
                                  render_kw=upload_limits(MAX_DOCUMENT_BYTES, 10))
    submit = SubmitField(_l("Save"))


class VerificationForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=choices_of([("approve", _l("Verify")), ("refuse", _l("Refuse"))]))
    facts_seen = HiddenField()  # the digest of the facts the official was shown
    reason = TextAreaField(_l("Reason (required to refuse or withdraw; the organisation is told)"),
                           validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record the decision"))
