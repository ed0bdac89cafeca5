"""统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters whose last one is a
check character computed modulo 31 over the first 17.

>>> check_character("91350100M000100Y4")
'3'
>>> problem("91350100M000100Y43") is None, problem("91350100M000100Y44") is not None
(True, True)
"""
from __future__ import annotations

# The standard's 31 characters: digits and capitals without I, O, S, V and Z.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise(code: str) -> str:
    """Upper case without spaces: how codes are stored and compared."""
    return "".join((code or "").split()).upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17."""
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """What is wrong with ``code`` (an English sentence for logs and tests), or None when it is valid."""
    code = normalise(code)
    if len(code) != 18:
        return "length"
    bad = [ch for ch in code if ch not in ALPHABET]
    if bad:
        return "characters"
    if not code[2:8].isdigit():
        return "division"
    if check_character(code[:17]) != code[17]:
        return "check"
    return None
