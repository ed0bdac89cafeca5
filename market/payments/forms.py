from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class RejectTransferForm(FlaskForm):
    reason = TextAreaField(_l("Why (shown to the payer)"), validators=[Optional(), Length(max=500)])


class RefundForm(FlaskForm):
    reason = TextAreaField(_l("Why the money is paid back (recorded and shown to the payer)"),
                           validators=[DataRequired(), Length(min=5, max=500)])
    submit = SubmitField(_l("Refund"))


class StripeAccountForm(FlaskForm):
    stripe_account_id = StringField(_l("Stripe Connect account id"), validators=[Optional(), Length(max=255)],
                                    description=_l("Starts with acct_. Leave empty to receive payouts by bank "
                                                   "transfer from the district finance office."))
    submit = SubmitField(_l("Save"))
