"""Form fields shared across domains."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SelectChoice
from wtforms import SelectField as _SelectField
from wtforms import SelectMultipleField as _SelectMultipleField
from wtforms.validators import NumberRange


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


class YuanField(DecimalField):
    """An amount typed in yuan, read back as integer fen (``.cents``)."""

    def __init__(self, label=None, validators=None, **kwargs):
        validators = list(validators or []) + [NumberRange(min=0, message=_l("Cannot be negative."))]
        super().__init__(label, validators, places=2, **kwargs)

    @property
    def cents(self) -> int | None:
        if self.data is None:
            return None
        return int((Decimal(self.data) * 100).to_integral_value())

    def set_cents(self, cents: int | None) -> None:
        self.data = None if cents is None else Decimal(cents) / 100


class OptionalIntSelectField(SelectField):
    """A select whose empty choice ("") reads back as None."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=lambda v: int(v) if v not in (None, "", "None") else None, **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            return
        super().pre_validate(form)
