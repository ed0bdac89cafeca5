"""The Chinese catalogue is complete, well-formed, and in step with the source strings.

When ``test_catalogue_is_up_to_date_with_sources`` fails, re-extract, update and translate:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o market/translations/messages.pot \\
        --no-location --sort-output --project="Social Resource Exchange" .
    .venv/bin/pybabel update -i market/translations/messages.pot -d market/translations -l zh --no-fuzzy-matching

then fill in every empty ``msgstr`` in market/translations/zh/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "market" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
# The same keywords as the extraction command above (-k _l -k lazy_gettext on top of the defaults).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

# A %-style conversion: "%%", "%s", "%(name)s", "%(num)d", "%5.2f", ...
PLACEHOLDER = re.compile(r"%(?:%|(?:\([^)]*\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa])")


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def _texts(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _placeholders(*texts: str) -> set[str]:
    return {p for text in texts for p in PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="zh")


@pytest.fixture(scope="module")
def template():
    with POT.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        key = _key(message)
        if key:
            ids.add(key)
    assert ids, "extraction found no strings: is babel.cfg still matching the sources?"
    return ids


def _messages(catalog):
    return [m for m in catalog if m.id]


def test_header_declares_chinese_with_one_plural_form(catalogue):
    assert str(catalogue.locale) == "zh"
    assert catalogue.num_plurals == 1
    assert catalogue.plural_expr.strip() == "0"
    assert not catalogue.fuzzy, "the header is marked fuzzy"


def test_every_message_is_translated(catalogue):
    untranslated = [_key(m.id) for m in _messages(catalogue)
                    if not _texts(m.string) or not all(text.strip() for text in _texts(m.string))]
    assert not untranslated, f"{len(untranslated)} untranslated message(s):\n" + "\n".join(untranslated)


def test_no_fuzzy_translations(catalogue):
    fuzzy = [_key(m.id) for m in _messages(catalogue) if m.fuzzy]
    assert not fuzzy, "fuzzy translation(s), check and remove the flag:\n" + "\n".join(fuzzy)


def test_translations_keep_the_placeholders(catalogue):
    problems = []
    for m in _messages(catalogue):
        expected = _placeholders(*_texts(m.id))
        for text in _texts(m.string):
            found = _placeholders(text)
            if found != expected:
                problems.append(f"{_key(m.id)!r}: expected {sorted(expected)}, got {sorted(found)} in {text!r}")
    assert not problems, "\n".join(problems)


def test_catalogue_passes_babel_checks(catalogue):
    problems = [f"{_key(m.id)!r}: {'; '.join(map(str, errors))}" for m, errors in catalogue.check()]
    assert not problems, "\n".join(problems)


def test_catalogue_is_up_to_date_with_sources(source_ids, template, catalogue):
    in_template = {_key(m.id) for m in _messages(template)}
    in_catalogue = {_key(m.id) for m in _messages(catalogue)}
    missing_from_template = sorted(source_ids - in_template)
    missing_from_catalogue = sorted(source_ids - in_catalogue)
    stale = sorted(in_catalogue - source_ids)
    report = []
    if missing_from_template:
        report.append("not in messages.pot (re-extract):\n  " + "\n  ".join(missing_from_template))
    if missing_from_catalogue:
        report.append("not in zh/messages.po (update and translate):\n  " + "\n  ".join(missing_from_catalogue))
    if stale:
        report.append("in zh/messages.po but no longer in the sources (update):\n  " + "\n  ".join(stale))
    assert not report, "the translation catalogue is out of date; see this module's docstring.\n" + "\n".join(report)
