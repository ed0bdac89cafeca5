from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from market.web.fields import OptionalIntSelectField, SelectField, SelectMultipleField, choices_of


class OrgForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"))
    registration_date = DateField(_l("Registration date"), validators=[Optional()])
    full_time_staff = IntegerField(_l("Full-time staff"), default=0, validators=[Optional(), NumberRange(0, 100000)])
    office_area_m2 = IntegerField(_l("Office area (m²)"), default=0, validators=[Optional(), NumberRange(0, 1000000)])
    rating_grade = SelectField(_l("Rating grade"), coerce=int,
                               choices=choices_of([(0, _l("Not rated"))] + [(g, f"{g}A") for g in range(1, 6)]))
    capacity = IntegerField(_l("Capacity (projects at once)"), default=1, validators=[Optional(), NumberRange(0, 1000)])
    capability = TextAreaField(_l("Capabilities (Chinese)"), validators=[Optional(), Length(max=5000)])
    capability_en = TextAreaField(_l("Capabilities (English)"), validators=[Optional(), Length(max=5000)])
    category_ids = SelectMultipleField(_l("Service categories"), coerce=int)
    home_street_id = OptionalIntSelectField(_l("Home street"))
    service_street_ids = SelectMultipleField(_l("Serves these streets"), coerce=int)
    serves_whole_district = BooleanField(_l("Serves the whole district"))
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Save"))
