from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from market.ui.fields import SelectField, SelectMultipleField, YuanField


class DonationForm(FlaskForm):
    amount = YuanField(_l("Amount (yuan)"), validators=[InputRequired()])
    as_organisation = BooleanField(_l("Give in the name of my organisation"))
    anonymous = BooleanField(_l("Do not show my name in the list of donors"))
    submit = SubmitField(_l("Donate"))


class PledgeForm(FlaskForm):
    pool_id = SelectField(_l("From the pool"), coerce=int, validators=[DataRequired()])
    amount = YuanField(_l("Amount (yuan)"), validators=[InputRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Pledge"))


class TopUpForm(FlaskForm):
    amount = YuanField(_l("Amount (yuan)"), validators=[InputRequired()])
    submit = SubmitField(_l("Top up"))


class AppropriationForm(FlaskForm):
    amount = YuanField(_l("Amount appropriated (yuan)"), validators=[InputRequired()])
    document_ref = StringField(_l("Document number (文号)"), validators=[DataRequired(), Length(max=100)],
                               description=_l("As on the budget document, e.g. 福财预〔2027〕12号."))
    submit = SubmitField(_l("Record the appropriation"))


class CampaignForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=5000)])
    rule = SelectField(_l("Matching rule"), validators=[DataRequired()])
    amount = YuanField(_l("Campaign money, reserved from the pool (yuan)"), validators=[InputRequired()])
    per_donor_cap = YuanField(_l("Most one donor's gifts can attract (yuan, empty = no limit; 1:1 only)"),
                              validators=[Optional()])
    per_project_cap = YuanField(_l("Most one project can receive (yuan, empty = no limit)"), validators=[Optional()])
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    project_ids = SelectMultipleField(_l("Projects"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Open the campaign"))


def day_start(day: date, timezone_name: str) -> datetime:
    """Midnight at the start of ``day`` in the district's time zone, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone_name))


def day_end(day: date, timezone_name: str) -> datetime:
    """Midnight at the end of ``day`` (the start of the next day) in the district's time zone."""
    return day_start(day + timedelta(days=1), timezone_name)
