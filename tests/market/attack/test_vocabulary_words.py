"""Probes of the matching vocabulary from the outside: what an official may type into the word form, what
another role or another district's official may do with it, and how the words come back out in pages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from market.core.db import db
from market.geo.services import categories_by_code
from market.review import vocabulary
from market.review.models import VocabularyTerm

PAGE = "/review/vocabulary"


def _form(**fields):
    return {"category_id": categories_by_code()["elderly_care"].id, "skill": "居家照料服务", "term": "社区长者照料",
            "language": "zh", **fields}


@pytest.mark.parametrize("fields, wrong", [
    ({"term": "护"}, "term"),  # one character: the engine refuses it
    ({"term": "护！"}, "term"),  # two characters, one once punctuation is dropped
    ({"term": "a!", "language": "en"}, "term"),
    ({"term": "<b>", "language": "en"}, "term"),  # "b" once the markup's symbols are dropped
    ({"skill": "护"}, "skill"),
    ({"skill": "!!"}, "skill"),
])
def test_a_word_the_engine_would_refuse_is_refused_by_the_form_and_runs_keep_working(browser, market, fields, wrong):
    browser.login(market.official)
    response = browser.post(PAGE, _form(**fields))
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(VocabularyTerm)) is None
    vocabulary.engine_vocabulary(market.official.district_id)  # still builds: no matching run of any district fails on it


def test_a_stored_one_character_word_from_before_the_check_does_not_stop_the_runs(market):
    from market.core.db import utcnow

    category = categories_by_code()["elderly_care"]
    db.session.add_all([VocabularyTerm(category_id=category.id, skill="居家照料服务", term="护", language="zh",
                                       added_by_id=market.official.id, created_at=utcnow()),
                        VocabularyTerm(category_id=category.id, skill="居家照料服务", term="长者照料", language="zh",
                                       added_by_id=market.official.id, created_at=utcnow())])
    db.session.commit()
    engine = vocabulary.engine_vocabulary(market.official.district_id)  # raised ValueError: every district's runs failed
    words = {t for s in engine.skills_of("elderly_care") if s.skill == "居家照料服务" for t in s.terms}
    assert words == {"长者照料"}


# ---------------------------------------------------------------- absurd words from an official

@pytest.mark.parametrize("fields, wrong", [
    ({"term": "长" * 10_000}, "term"),
    ({"skill": "x" * 10_000, "term": "home visits", "language": "en"}, "skill"),
    ({"term": "长者\u0007照料"}, "term"),  # a bell
    ({"term": "长者\u202e照料"}, "term"),  # a right-to-left override
    ({"term": "长者\u200b照料"}, "term"),  # a zero-width space
    ({"category_id": "abc"}, "category_id"),
    ({"category_id": "99999999999999999999999"}, "category_id"),
    ({"category_id": "-1"}, "category_id"),
    ({"language": "zh' OR '1'='1"}, "language"),
])
def test_absurd_input_is_a_400_naming_the_field_with_nothing_stored(browser, market, fields, wrong):
    browser.login(market.official)
    response = browser.post(PAGE, _form(**fields))
    assert response.status_code == 400
    assert f'id="{wrong}-error"' in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(VocabularyTerm)) is None


def test_sql_like_and_markup_words_are_stored_literally_and_shown_escaped(browser, market):
    browser.login(market.official)
    sql = "x'); DROP TABLE vocabulary_terms; --"
    script = "<script>alert(1)</script>"
    skill = '"><svg onload=alert(2)>'
    for term in (sql, script):
        response = browser.post(PAGE, _form(term=term, skill=skill, language="en"))
        assert response.status_code == 302
    html = browser.get(PAGE).get_data(as_text=True)  # the flash, the list and the skills' suggestions
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<svg" not in html and "&lt;svg onload=alert(2)&gt;" in html
    assert {r.term for r in db.session.scalars(select(VocabularyTerm))} == {sql, script}


def test_a_word_already_there_in_another_width_or_case_is_refused(browser, market):
    browser.login(market.official)
    assert browser.post(PAGE, _form(term="home care visits", skill="Visiting", language="en")).status_code == 302
    for again in ("ＨＯＭＥ　ＣＡＲＥ　ＶＩＳＩＴＳ", "Home  Care Visits", " HOME CARE VISITS "):
        response = browser.post(PAGE, _form(term=again, skill="ＶＩＳＩＴＩＮＧ", language="en"))
        assert response.status_code == 400, again
    assert db.session.scalars(select(VocabularyTerm)).all().__len__() == 1


# ---------------------------------------------------------------- the withdraw button

def test_withdraw_needs_a_post_with_its_token(browser, market):
    row = vocabulary.add_term(market.official, vocabulary.TermInput(
        category_id=categories_by_code()["elderly_care"].id, skill="居家照料服务", term="社区长者照料", language="zh"))
    db.session.commit()
    browser.login(market.official)
    assert browser.get(f"{PAGE}/{row.id}/withdraw").status_code == 405
    assert browser.post(f"{PAGE}/{row.id}/withdraw", csrf=False).status_code == 400
    assert browser.post(f"{PAGE}/{row.id}/withdraw", {"csrf_token": "forged"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(VocabularyTerm, row.id).is_active


@pytest.mark.parametrize("term_id", ["0", "99999999999999999999999", "-1", "abc"])
def test_withdrawing_a_word_that_does_not_exist_is_a_404(browser, market, term_id):
    browser.login(market.district_official)
    assert browser.post(f"{PAGE}/{term_id}/withdraw").status_code == 404


def test_a_forged_token_adds_nothing(browser, market):
    browser.login(market.official)
    assert browser.post(PAGE, {**_form(), "csrf_token": "forged"}).status_code == 400
    assert db.session.scalar(select(VocabularyTerm)) is None


def test_another_districts_officials_on_a_word(city, make_browser):
    """Each district keeps its own words: another district's officials neither see nor withdraw a district's
    word, its runs do not use it, and it may add the same word for itself; administrators act for the city."""
    from market.core.audit import AuditEvent

    elderly_care = categories_by_code()["elderly_care"].id
    row = vocabulary.add_term(city.a_street_official, vocabulary.TermInput(
        category_id=elderly_care, skill="居家照料服务", term="社区长者照料", language="zh"))
    db.session.commit()
    assert row.district_id == city.a.id
    for intruder in (city.b_street_official, city.b_official):
        browser = make_browser()
        browser.login(intruder)
        page = browser.get(PAGE).get_data(as_text=True)
        assert f"{PAGE}/{row.id}/withdraw" not in page and "社区长者照料" not in page
        assert browser.post(f"{PAGE}/{row.id}/withdraw").status_code == 403
        db.session.expire_all()
        assert db.session.get(VocabularyTerm, row.id).is_active
    assert "社区长者照料" not in {t for s in vocabulary.engine_vocabulary(city.b.id).skills_of("elderly_care")
                                 for t in s.terms}
    assert "社区长者照料" in {t for s in vocabulary.engine_vocabulary(city.a.id).skills_of("elderly_care")
                             for t in s.terms}
    own = vocabulary.add_term(city.b_official, vocabulary.TermInput(   # B's own copy of the word
        category_id=elderly_care, skill="居家照料服务", term="社区长者照料", language="zh"))
    db.session.commit()
    assert own.district_id == city.b.id
    admin = make_browser()
    admin.login(city.admin)
    assert admin.post(f"{PAGE}/{row.id}/withdraw").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vocabulary_term.withdrawn"))
    assert event.actor_id == city.admin.id and event.before["term"] == "社区长者照料"
    assert event.district_id == city.a.id  # in A's audit trail, not B's


def test_an_administrators_word_serves_the_city_and_no_district_withdraws_it(city, make_browser):
    row = vocabulary.add_term(city.admin, vocabulary.TermInput(
        category_id=categories_by_code()["elderly_care"].id, skill="居家照料服务", term="全市通用说法",
        language="zh"))
    db.session.commit()
    assert row.district_id is None
    for district in (city.a, city.b):
        assert "全市通用说法" in {t for s in vocabulary.engine_vocabulary(district.id).skills_of("elderly_care")
                                for t in s.terms}
    for official in (city.a_official, city.b_official):
        browser = make_browser()
        browser.login(official)
        assert browser.post(f"{PAGE}/{row.id}/withdraw").status_code == 403
    db.session.expire_all()
    assert db.session.get(VocabularyTerm, row.id).is_active
