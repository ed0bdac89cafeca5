"""Users, roles, log-in and resident verification."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from market.accounts.models import Role
from market.ui.fields import SelectField, choices_of


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class RegisterForm(FlaskForm):
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("I am"), choices=choices_of([
        (Role.RESIDENT.value, _l("A resident")),
        (Role.PROVIDER.value, _l("A member of a social organisation or firm (provider)")),
        (Role.FUNDER.value, _l("A member of a foundation or funding programme (funder)")),
    ]))
    community_id = SelectField(_l("Community (residents)"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)],
                             description=_l("At least 10 characters, letters mixed with digits or symbols."))
    confirm = PasswordField(_l("Repeat password"), validators=[DataRequired(), EqualTo("password")])
    submit = SubmitField(_l("Create account"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)],
                             description=_l("At least 10 characters, letters mixed with digits or symbols. "
                                            "You stay logged in here; every other device is logged out."))
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(), EqualTo("password")])
    submit = SubmitField(_l("Change password"))


class ContactForm(FlaskForm):
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=30)],
                        description=_l("For the notices you choose to receive by SMS. Leave empty to receive none."))
    submit = SubmitField(_l("Save"))
