"""Form fields shared across domains."""
from __future__ import annotations

from decimal import Decimal

from wtforms import Field, SelectChoice
from wtforms import SelectField as _SelectField
from wtforms import SelectMultipleField as _SelectMultipleField
from wtforms.widgets import NumberInput

from market.core.money import MAX_AMOUNT_CENTS, AmountError, money, parse_yuan


class _PairChoices:
    """Accept ``(value, label)`` pairs as choices and keep them as ``SelectChoice`` objects."""

    @property
    def choices(self):
        return self._choices

    @choices.setter
    def choices(self, value):
        self._choices = None if value is None else [
            c if isinstance(c, SelectChoice) else SelectChoice(*c) for c in value]


def choices_of(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as the ``SelectChoice`` objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


class SelectField(_PairChoices, _SelectField):
    pass


class SelectMultipleField(_PairChoices, _SelectMultipleField):
    pass


class YuanField(Field):
    """An amount typed in yuan, read by :func:`market.core.money.parse_yuan` (the one amount
    parser) and kept as integer fen (``.cents``); a bad amount is a field error, never a crash."""

    widget = NumberInput(step="0.01", min="0")

    def __init__(self, label=None, validators=None, *, max_cents: int = MAX_AMOUNT_CENTS, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.max_cents = max_cents
        self.cents: int | None = None
        self.raw = ""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.cents = None
        self.data = None
        try:
            self.cents = parse_yuan(self.raw, max_cents=self.max_cents)
        except AmountError as error:
            raise ValueError(str(error)) from error
        self.data = None if self.cents is None else Decimal(self.cents) / 100

    def process_data(self, value):
        self.data = value
        self.cents = None if value is None else int(Decimal(value) * 100)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.cents is None else money(self.cents, with_symbol=False).replace(",", "")

    def set_cents(self, cents: int | None) -> None:
        self.cents = cents
        self.data = None if cents is None else Decimal(cents) / 100


class OptionalIntSelectField(SelectField):
    """A select whose empty choice ("") reads back as None."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=lambda v: int(v) if v not in (None, "", "None") else None, **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            return
        super().pre_validate(form)
