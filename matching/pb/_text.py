"""Number formatting for the explanations shown to residents (internal)."""

from __future__ import annotations

from fractions import Fraction


def money(value: int | Fraction | float) -> str:
    """Amount with thousands separators; two decimals unless it is whole.

    >>> money(1200000), money(Fraction(291, 10)), money(Fraction(1, 3))
    ('1,200,000', '29.10', '0.33')
    """
    value = Fraction(value)
    if value.denominator == 1:
        return f"{value.numerator:,}"
    return f"{float(value):,.2f}"


def count(value: int, singular: str, plural: str | None = None) -> str:
    """``"1 supporter"`` / ``"412 supporters"``.

    >>> count(1, "vote"), count(3, "vote")
    ('1 vote', '3 votes')
    """
    word = singular if value == 1 else (plural or singular + "s")
    return f"{value:,} {word}"


def ordinal(value: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``...

    >>> [ordinal(i) for i in (1, 2, 3, 4, 11, 22)]
    ['1st', '2nd', '3rd', '4th', '11th', '22nd']
    """
    suffix = "th" if 10 <= value % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    return f"{value}{suffix}"
