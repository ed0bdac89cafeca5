from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.ui.fields import SelectMultipleField, YuanField


class PoolForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=5000)])
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(2000, 2100)])
    total = YuanField(_l("Declared total (yuan)"), validators=[InputRequired()],
                      description=_l("What the funder means to put in. It becomes money to pledge or award only as "
                                     "appropriations and top-ups arrive."))
    max_grant = YuanField(_l("Maximum grant per project (yuan, empty = no limit)"), validators=[Optional()])
    max_share_percent = IntegerField(_l("Pays at most this share of a project (%)"), default=100,
                                     validators=[DataRequired(), NumberRange(1, 100)])
    category_ids = SelectMultipleField(_l("Focus categories (none = any)"), coerce=int)
    street_ids = SelectMultipleField(_l("Streets (none = whole district)"), coerce=int)
    is_open = BooleanField(_l("Open for matching"), default=True)
    submit = SubmitField(_l("Save"))
