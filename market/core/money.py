"""Money in integer minor units (fen for CNY): shown as yuan, and read from what people type.
Pure, usable by services and templates."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from flask_babel import lazy_gettext as _l

#: The largest amount a money column (64-bit) can hold, in fen.
MAX_CENTS = 2**63 - 1
#: The largest single amount anyone may type or move: ¥1,000,000,000,000, far above any district's budget and
#: far enough below MAX_CENTS that sums of many such amounts still fit the database's 64-bit arithmetic.
MAX_AMOUNT_CENTS = 10**14
_YUAN = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # ASCII digits only, after NFKC


def money(cents: int | None, with_symbol: bool = True, *, whole: bool = False) -> str:
    """Integer minor units as yuan with thousands separators: 12345600 → ¥123,456.

    ``whole=True`` rounds to the nearest yuan (half up) and never shows fen: for overviews
    where fen are noise (the matching console); amounts that are acted on stay exact.

    >>> money(12345650)
    '¥123,456.50'
    >>> money(-150)
    '-¥1.50'
    >>> money(12345650, whole=True), money(12345649, whole=True)
    ('¥123,457', '¥123,456')
    """
    if cents is None:
        return ""
    sign = "-" if int(cents) < 0 else ""
    if whole:
        return f"{sign}{'¥' if with_symbol else ''}{abs(whole_yuan(cents)):,}"
    yuan, fen = divmod(abs(int(cents)), 100)
    text = f"{yuan:,}" if not fen else f"{yuan:,}.{fen:02d}"
    return f"{sign}¥{text}" if with_symbol else f"{sign}{text}"


def whole_yuan(cents: int) -> int:
    """Integer fen as whole yuan, rounded half up (away from zero for negative amounts).

    >>> whole_yuan(150), whole_yuan(149), whole_yuan(-150)
    (2, 1, -2)
    """
    yuan, fen = divmod(abs(int(cents)), 100)
    rounded = yuan + (1 if fen >= 50 else 0)
    return -rounded if int(cents) < 0 else rounded


class AmountError(ValueError):
    """What is wrong with a typed amount, in the user's language (``str(error)``)."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def parse_yuan(text: str | None, *, max_cents: int = MAX_AMOUNT_CENTS) -> int | None:
    """An amount typed in yuan as integer fen; ``None`` for an empty field.

    ASCII digits with at most two decimal places (full-width digits are read too); no signs,
    exponents, separators, other scripts' digits, ``Infinity`` or ``NaN``; at most ``max_cents``.
    Anything else raises :class:`AmountError` with a message for the user.

    >>> parse_yuan("1234.5"), parse_yuan(" １０ "), parse_yuan("")
    (123450, 1000, None)
    >>> parse_yuan("10.005")
    Traceback (most recent call last):
    ...
    market.core.money.AmountError: At most two decimal places (fen).
    """
    if text is None:
        return None
    cleaned = unicodedata.normalize("NFKC", str(text)).strip()
    if not cleaned:
        return None
    if len(cleaned) > 40:
        raise AmountError(_l("Too large: at most %(amount)s.", amount=money(max_cents)))
    if cleaned.startswith("-"):
        raise AmountError(_l("Cannot be negative."))
    if not _YUAN.fullmatch(cleaned):
        raise AmountError(_l("Type an amount in yuan, for example 1200 or 1200.50."))
    whole, _, fraction = cleaned.partition(".")
    if len(fraction.rstrip("0")) > 2:
        raise AmountError(_l("At most two decimal places (fen)."))
    cents = int(Decimal(cleaned) * 100)
    if cents > max_cents:
        raise AmountError(_l("Too large: at most %(amount)s.", amount=money(max_cents)))
    return cents
