"""Probes of the matching vocabulary from the outside: what an official may type into the word form, what
another role or another district's official may do with it, and how the words come back out in pages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.core.db import db
from market.geo.services import categories_by_code
from market.review import vocabulary
from market.review.models import VocabularyTerm
from tests.market.review.conftest import market  # noqa: F401

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
    vocabulary.engine_vocabulary()  # still builds: no matching run of any district fails on it


def test_a_stored_one_character_word_from_before_the_check_does_not_stop_the_runs(market):
    from market.core.db import utcnow

    category = categories_by_code()["elderly_care"]
    db.session.add_all([VocabularyTerm(category_id=category.id, skill="居家照料服务", term="护", language="zh",
                                       added_by_id=market.official.id, created_at=utcnow()),
                        VocabularyTerm(category_id=category.id, skill="居家照料服务", term="长者照料", language="zh",
                                       added_by_id=market.official.id, created_at=utcnow())])
    db.session.commit()
    engine = vocabulary.engine_vocabulary()  # raised ValueError: every district's runs failed
    words = {t for s in engine.skills_of("elderly_care") if s.skill == "居家照料服务" for t in s.terms}
    assert words == {"长者照料"}
