"""A word an official adds comes back in the engine's matched skills, in the console's score breakdown and on
the public award page: markup in it is shown as text, never run."""
from __future__ import annotations

from market.core.db import db, utcnow
from market.geo.services import categories_by_code
from market.projects.models import ProjectKind, ProjectStatus
from market.review import services, vocabulary

WORD = '<img src=x onerror="alert(1)">陪诊到家'


def test_markup_in_an_added_word_is_escaped_in_the_console_and_on_the_public_award(browser, make_browser, market):
    browser.login(market.district_official)
    response = browser.post("/review/vocabulary", {"category_id": categories_by_code()["elderly_care"].id,
                                                   "skill": "居家养老", "term": WORD, "language": "zh"})
    assert response.status_code == 302
    market.org(name="福田颐康中心", name_en="Futian Yikang Centre", capability=f"我们提供{WORD}服务",
               capability_en="")
    project = market.make_project(kind=ProjectKind.GOVERNMENT_SERVICE, status=ProjectStatus.EVALUATING,
                                  owner=market.official, title="福田街道居家养老服务", title_en="",
                                  description="面向辖区长者的居家养老服务。", description_en="")
    run = market.match([project])
    [proposal] = run.proposals
    assert {"skill": "居家养老", "project_term": "居家养老", "provider_term": WORD} in proposal.units[0]["matched_skills"]
    browser.login(market.official)
    for lang in ("en", "zh"):
        html = browser.get(f"/review/runs/{run.id}/projects/{project.id}?lang={lang}").get_data(as_text=True)
        assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    award = services.approve_one(market.official, proposal, reason="", now=utcnow())
    db.session.commit()
    html = make_browser().get(f"/review/awards/{award.id}").get_data(as_text=True)  # anyone reads it
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    html = browser.get("/review/vocabulary").get_data(as_text=True)
    assert "<img src=x" not in html
    assert vocabulary.engine_vocabulary(market.official.district_id)  # and the engine takes it
