"""Money in integer minor units (fen for CNY), shown as yuan: pure, usable by services and templates."""
from __future__ import annotations


def money(cents: int | None, with_symbol: bool = True) -> str:
    """Integer minor units as yuan with thousands separators: 12345600 → ¥123,456.

    >>> money(12345650)
    '¥123,456.50'
    """
    if cents is None:
        return ""
    yuan, fen = divmod(int(cents), 100)
    text = f"{yuan:,}" if not fen else f"{yuan:,}.{fen:02d}"
    return f"¥{text}" if with_symbol else text
