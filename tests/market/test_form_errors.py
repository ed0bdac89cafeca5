"""The form-level summary of a refused form never repeats a message shown beside a field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField

from market.core.errors import ValidationFailed
from market.ui.forms import apply_field_errors


class _Form(FlaskForm):
    class Meta:
        csrf = False

    price = StringField("Price")


def test_a_summary_repeating_a_fields_message_is_left_out(app):
    with app.test_request_context():
        form = _Form()
        apply_field_errors(form, ValidationFailed("The bid was not accepted: The price is too high.",
                                                  fields={"price": "The price is too high."}))
        assert form.price.errors == ["The price is too high."] and form.form_errors == []


def test_a_summary_saying_more_stays_and_unknown_fields_join_it(app):
    with app.test_request_context():
        form = _Form()
        apply_field_errors(form, ValidationFailed("Please correct the marked fields.",
                                                  fields={"price": "Too high.", "lot_id": "Unknown lot."}))
        assert form.price.errors == ["Too high."]
        assert form.form_errors == ["Please correct the marked fields.", "Unknown lot."]
