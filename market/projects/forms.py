from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.geo.models import ProjectType
from market.ui.fields import OptionalIntSelectField, SelectField, YuanField, choices_of
from market.ui.formatting import enum_label


class ProjectForm(FlaskForm):
    kind = SelectField(_l("Kind"))
    title = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description (Chinese)"), validators=[DataRequired(), Length(max=10000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=10000)])
    category_id = SelectField(_l("Category"), coerce=int)
    project_type = SelectField(_l("Type"), choices=choices_of((t.value, t.value) for t in ProjectType))
    street_id = OptionalIntSelectField(_l("Street"))
    community_id = OptionalIntSelectField(_l("Community"))
    budget = YuanField(_l("Budget (yuan)"), validators=[InputRequired()])
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    min_rating_grade = IntegerField(_l("Minimum rating grade (0 = none, 5 = 5A)"), default=0,
                                    validators=[Optional(), NumberRange(0, 5)])
    min_years_registered = IntegerField(_l("Minimum years registered"), default=0, validators=[Optional(), NumberRange(0, 100)])
    min_staff = IntegerField(_l("Minimum full-time staff"), default=0, validators=[Optional(), NumberRange(0, 100000)])
    min_office_area_m2 = IntegerField(_l("Minimum office area (m²)"), default=0, validators=[Optional(), NumberRange(0, 1000000)])
    submit = SubmitField(_l("Save"))

    def localise_choices(self) -> None:
        self.project_type.choices = [(t.value, enum_label(t)) for t in ProjectType]
