"""The matching vocabulary: officials add words (audited), withdraw them (the adder, district officials,
administrators), the page lists packaged and added words, and a run uses the added words."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.geo.services import categories_by_code
from market.review import vocabulary
from market.review.models import VocabularyTerm
from matching.vocabulary import Vocabulary
from tests.market.bids.helpers import refused, written

PAGE = "/review/vocabulary"


def _packaged(code="elderly_care"):
    """A packaged skill of the category and one of its words."""
    skill = next(s for s in Vocabulary.default().skills if s.category == code and s.terms)
    return skill.skill, skill.terms[0]


def _add(actor, term="社区长者照料", *, skill="居家照料服务", language="zh", code="elderly_care"):
    row = vocabulary.add_term(actor, vocabulary.TermInput(category_id=categories_by_code()[code].id, skill=skill,
                                                          term=term, language=language))
    db.session.commit()
    return row


def _words_of(vocab, code, skill):
    return {t for s in vocab.skills if s.category == code and s.skill == skill for t in s.terms}


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


# ---------------------------------------------------------------- services

def test_an_added_word_is_recorded_audited_and_used_by_the_engine(market):
    row = _add(market.official, "社区长者照料")
    assert row.is_active and row.added_by_id == market.official.id and row.language == "zh"
    [event] = _events("vocabulary_term.added")
    assert event.actor_id == market.official.id and event.object_type == "vocabulary_terms"
    assert event.object_id == str(row.id) and event.street_id is None  # the district's vocabulary
    assert event.after == {"district_id": market.official.district_id, "category_id": row.category_id,
                           "skill": "居家照料服务", "term": "社区长者照料", "language": "zh"}
    assert "社区长者照料" in _words_of(vocabulary.engine_vocabulary(market.official.district_id), "elderly_care", "居家照料服务")
    assert "社区长者照料" not in _words_of(Vocabulary.default(), "elderly_care", "居家照料服务")


def test_a_word_for_a_packaged_skill_joins_that_skill_whatever_its_case(market):
    skill, _word = _packaged()
    row = _add(market.official, "neighbourhood elder visits", skill=f"  {skill.upper()} ", language="en")
    assert row.skill == skill  # spelled as the vocabulary spells it
    assert "neighbourhood elder visits" in _words_of(vocabulary.engine_vocabulary(market.official.district_id), "elderly_care", skill)


def test_a_packaged_skill_may_be_named_by_one_of_its_words(market):
    skill = next(s for s in Vocabulary.default().skills_of("elderly_care") if len(s.terms) > 1)
    row = _add(market.official, "某个新说法", skill=skill.terms[0])
    assert row.skill == skill.skill


def test_the_same_word_added_twice_at_once_is_refused_by_the_database_too(market, monkeypatch):
    first = _add(market.official)
    monkeypatch.setattr(vocabulary, "_known_words", lambda category, skill, district_id: set())  # the check of the other request
    with pytest.raises(ValidationFailed) as caught:
        _add(market.other_official)
    assert "term" in caught.value.fields
    db.session.rollback()
    assert [r.id for r in db.session.scalars(select(VocabularyTerm))] == [first.id]
    assert len(_events("vocabulary_term.added")) == 1


def test_input_is_normalised(market):
    row = _add(market.official, "  Ｈｏｍｅ   visiting  ", skill="Visits", language="en")
    assert row.term == "Home visiting"


@pytest.mark.parametrize("fields, wrong", [
    ({"term": "   "}, "term"),
    ({"term": "长" * 61}, "term"),
    ({"skill": ""}, "skill"),
    ({"skill": "技" * 61}, "skill"),
    ({"category_id": 999_999}, "category_id"),
    ({"category_id": None}, "category_id"),
    ({"language": "fr"}, "language"),
    ({"term": "home care", "language": "zh"}, "term"),
    ({"term": "上门照护", "language": "en"}, "term"),
    ({"term": "照护\u0000服务"}, "term"),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(market, fields, wrong):
    data = {"category_id": categories_by_code()["elderly_care"].id, "skill": "居家照料服务", "term": "社区长者照料",
            "language": "zh", **fields}
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        vocabulary.add_term(market.official, vocabulary.TermInput(**data))
    assert wrong in caught.value.fields
    db.session.rollback()
    assert written() == before


def test_a_word_the_skill_already_has_is_refused_packaged_or_added(market):
    skill, word = _packaged()
    with pytest.raises(ValidationFailed) as caught:
        _add(market.official, word, skill=skill, language="en" if word.isascii() else "zh")
    assert "term" in caught.value.fields and word in str(caught.value.message)
    db.session.rollback()
    _add(market.official, "Elder home visits", skill="Visiting", language="en")
    with pytest.raises(ValidationFailed):
        _add(market.other_official, "elder  HOME visits", skill="visiting", language="en")
    db.session.rollback()
    # The same word for another skill is a different entry.
    assert _add(market.other_official, "Elder home visits", skill="Companionship", language="en").is_active


def test_a_withdrawn_word_leaves_the_engine_and_may_be_added_again(market):
    row = _add(market.official)
    vocabulary.withdraw_term(market.official, row)
    db.session.commit()
    assert row.removed_at is not None and row.removed_by_id == market.official.id
    [event] = _events("vocabulary_term.withdrawn")
    assert event.before["term"] == "社区长者照料" and event.street_id is None
    assert "社区长者照料" not in _words_of(vocabulary.engine_vocabulary(market.official.district_id), "elderly_care", "居家照料服务")
    with pytest.raises(Conflict):
        vocabulary.withdraw_term(market.official, row)
    db.session.rollback()
    again = _add(market.other_official)
    assert again.id != row.id and again.is_active


def test_who_may_withdraw(market, make_user):
    row = _add(market.official)
    for outsider in (market.other_official, make_user(Role.RESIDENT), make_user(Role.FUNDER)):
        with pytest.raises(PermissionDenied):
            vocabulary.withdraw_term(outsider, row)
        db.session.rollback()
    assert db.session.get(VocabularyTerm, row.id).is_active
    vocabulary.withdraw_term(market.district_official, row)
    other = _add(market.other_official, "长者照料")
    vocabulary.withdraw_term(make_user(Role.ADMIN), other)
    db.session.commit()
    assert not row.is_active and not other.is_active


def test_only_officials_add_words(market, make_user):
    provider = market.provider()
    for outsider in (make_user(Role.RESIDENT), provider, make_user(Role.FUNDER), None):
        before = written()
        with pytest.raises(PermissionDenied):
            _add(outsider)
        db.session.rollback()
        assert written() == before


# ---------------------------------------------------------------- the page

def _page(browser):
    response = browser.get(PAGE)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_lists_packaged_words_per_category_and_is_linked_from_the_console(browser, market):
    browser.login(market.official)
    html = _page(browser)
    skill, word = _packaged()
    assert skill in html and word in html
    assert f'id="category-{categories_by_code()["elderly_care"].id}"' in html
    assert 'name="csrf_token"' in html and "Withdraw" not in html  # nothing added yet
    console = browser.get("/review/").get_data(as_text=True)
    assert f'href="{PAGE}"' in console


def test_add_and_withdraw_through_the_page(browser, market):
    browser.login(market.official)
    category = categories_by_code()["elderly_care"]
    response = browser.post(PAGE, {"category_id": category.id, "skill": "居家照料服务", "term": "社区长者照料",
                                   "language": "zh"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#category-{category.id}")
    row = db.session.scalar(select(VocabularyTerm))
    assert (row.term, row.skill, row.added_by_id) == ("社区长者照料", "居家照料服务", market.official.id)
    html = _page(browser)
    assert "社区长者照料" in html and market.official.display_name in html
    assert f'action="/review/vocabulary/{row.id}/withdraw"' in html
    response = browser.post(f"/review/vocabulary/{row.id}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(VocabularyTerm, row.id).removed_at is not None
    assert "“社区长者照料” withdrawn" in _page(browser)  # the flash says so
    assert "社区长者照料" not in _page(browser)  # and the list no longer has it
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "vocabulary_terms").order_by(AuditEvent.seq))] == [
        "vocabulary_term.added", "vocabulary_term.withdrawn"]


def test_a_refused_word_re_renders_the_form_with_what_was_typed(browser, market):
    browser.login(market.official)
    skill, word = _packaged()
    category = categories_by_code()["elderly_care"]
    response = browser.post(PAGE, {"category_id": category.id, "skill": skill, "term": word,
                                   "language": "en" if word.isascii() else "zh"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Already in the vocabulary for this skill." in html and 'aria-invalid="true"' in html
    assert re.search(rf'<option selected value="{category.id}">|<option value="{category.id}" selected>', html)
    assert f'value="{skill}"' in html and 'role="alert"' in html
    response = browser.post(PAGE, {"category_id": "", "skill": "照料", "term": "   ", "language": "zh"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="照料"' in html and "Choose a category from the list." in html
    assert db.session.scalar(select(VocabularyTerm)) is None


def test_a_post_without_its_csrf_token_is_refused(browser, market):
    browser.login(market.official)
    category = categories_by_code()["elderly_care"]
    response = browser.post(PAGE, {"category_id": category.id, "skill": "照料", "term": "长者照料",
                                   "language": "zh"}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(VocabularyTerm)) is None


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.PROVIDER, Role.FUNDER])
def test_other_roles_may_neither_see_nor_change_the_vocabulary(browser, market, make_user, role):
    row = _add(market.official)
    user = market.provider() if role == Role.PROVIDER else make_user(role)
    browser.login(user)
    assert browser.get(PAGE).status_code == 403
    category = categories_by_code()["elderly_care"]
    refused(browser, PAGE, {"category_id": category.id, "skill": "照料", "term": "长者照料", "language": "zh"})
    refused(browser, f"/review/vocabulary/{row.id}/withdraw")


def test_anonymous_visitors_are_sent_to_log_in(client, market):
    row = _add(market.official)
    for response in (client.get(PAGE), client.post(PAGE, data={}),
                     client.post(f"/review/vocabulary/{row.id}/withdraw", data={})):
        assert response.status_code in (302, 400)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
    assert db.session.get(VocabularyTerm, row.id).is_active


def test_a_street_official_cannot_withdraw_another_officials_word(browser, market):
    row = _add(market.official)
    browser.login(market.other_official)
    html = _page(browser)
    assert "社区长者照料" in html and f"/review/vocabulary/{row.id}/withdraw" not in html
    refused(browser, f"/review/vocabulary/{row.id}/withdraw")
    db.session.expire_all()
    assert db.session.get(VocabularyTerm, row.id).is_active


def test_a_district_official_withdraws_any_word(browser, market):
    row = _add(market.official)
    browser.login(market.district_official)
    assert f"/review/vocabulary/{row.id}/withdraw" in _page(browser)
    assert browser.post(f"/review/vocabulary/{row.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.get(VocabularyTerm, row.id).removed_by_id == market.district_official.id


def test_withdrawing_twice_or_an_unknown_word_is_a_clear_answer(browser, market):
    row = _add(market.official)
    browser.login(market.official)
    assert browser.post(f"/review/vocabulary/{row.id}/withdraw").status_code == 302
    assert browser.post(f"/review/vocabulary/{row.id}/withdraw").status_code == 409
    assert browser.post("/review/vocabulary/999999/withdraw").status_code == 404


# ---------------------------------------------------------------- what a run takes from here

def test_a_run_uses_the_packaged_vocabulary_with_the_active_added_words(market):
    from market.review import adapter
    from tests.market.bids.helpers import AFTER

    kept, dropped = _add(market.official, "社区长者照料"), _add(market.official, "长者陪伴", skill="精神慰藉")
    vocabulary.withdraw_term(market.official, dropped)
    db.session.commit()
    project = market.make_project(kind=adapter.ProjectKind.MICRO)
    options = adapter.build_problem([project.id], adapter.RunOptions(), now=AFTER,
                                    district_id=market.official.district_id).problem.options
    assert "社区长者照料" in _words_of(options.vocabulary, "elderly_care", kept.skill)
    assert not _words_of(options.vocabulary, "elderly_care", "精神慰藉")
    assert {s.skill for s in Vocabulary.default().skills} <= {s.skill for s in options.vocabulary.skills}


def test_the_titles_of_projects_a_provider_delivered_well_are_evidence_of_its_specialty(market):
    from market.review import adapter
    from tests.market.bids.helpers import AFTER

    good, poor = market.org(), market.org()
    market.rate(market.delivered(good, title="长者饭堂助餐服务", title_en="Canteen meals for elders"), 5, 4)
    market.delivered(good, title="独居老人探访", title_en="")  # not rated yet: accepted is enough
    market.engaged(good, title="正在进行的项目", title_en="Still running")  # not delivered yet
    market.rate(market.delivered(poor, title="社区花园改造", title_en="Garden"), 1, 2)  # delivered badly
    specs = {p.id: p for p in adapter.provider_specs(AFTER.date())[0]}
    assert set(specs[good.id].delivered_titles) == {"长者饭堂助餐服务 Canteen meals for elders", "独居老人探访"}
    assert specs[poor.id].delivered_titles == ()


def test_delivered_titles_are_the_latest_few_read_in_one_query(market):
    from sqlalchemy import event

    from market.review import adapter

    orgs = [market.org() for _ in range(3)]
    for org in orgs:
        for n in range(adapter.DELIVERED_TITLES + 2):
            market.delivered(org, title=f"{org.id}号机构第{n:02d}个项目", title_en="")
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        titles = adapter._delivered_titles()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    for org in orgs:
        assert len(titles[org.id]) == adapter.DELIVERED_TITLES
        assert titles[org.id][0] == f"{org.id}号机构第{adapter.DELIVERED_TITLES + 1:02d}个项目"  # the latest first
        assert f"{org.id}号机构第00个项目" not in titles[org.id]


# ---------------------------------------------------------------- the console shows the matched skills

def _run_with_matched_skills(market, matched):
    """A finished run whose one proposal carries ``matched`` as the engine's matched skills, stored
    through the service that stores the engine's results."""
    from market.core.db import utcnow
    from market.core.state import transition
    from market.review import adapter, services
    from market.review.models import RunStatus

    org = market.org(name="福田长者之家", name_en="Futian Elders' Home")
    project = market.make_project(kind=adapter.ProjectKind.GOVERNMENT_SERVICE, owner=market.official,
                                  status=adapter.ProjectStatus.EVALUATING)
    run = services.start_run(market.official, [project.id], adapter.RunOptions(time_limit=20), now=utcnow())
    db.session.commit()
    unit = {"project_id": project.id, "lot_id": None, "provider_id": org.id, "score": 0.8,
            "components": {"text": 0.7, "category": 1.0}, "cost": project.budget_cents, "pinned": False,
            "funding": [], "rank": 1, "candidates": 1, "first_choice": {"provider_id": org.id, "score": 0.8},
            **adapter._matched(matched)}
    transition(run, RunStatus.RUNNING, actor=None, action="match_run.started")
    services._store_result(run, {"status": "optimal", "objective": 1.0, "bound": 1.0, "gap": 0.0, "solver": "cbc",
                                 "seconds": 1.0, "notes": [], "assignments": [unit], "unmatched": [], "binding": [],
                                 "wrong_category": [], "stats": {}})
    run.finished_at, run.progress = utcnow(), 100
    transition(run, RunStatus.SUCCEEDED, actor=None, action="match_run.finished")
    db.session.commit()
    return run, project


def test_the_console_shows_the_skills_a_proposal_matched(browser, market):
    from matching.vocabulary import MatchedSkill

    run, project = _run_with_matched_skills(market, [MatchedSkill("居家养老", "居家养老", "上门照护"),
                                                     MatchedSkill("长者助餐", "助餐", "助餐")])
    browser.login(market.official)
    page = f"/review/runs/{run.id}/projects/{project.id}"  # the proposal's score breakdown
    html = browser.get(page).get_data(as_text=True)
    assert '<p class="matched-skills">matched: 居家养老 ≈ 上门照护; 助餐</p>' in html
    html = browser.get(page + "?lang=zh").get_data(as_text=True)
    assert '<html lang="zh' in html and "居家养老 ≈ 上门照护; 助餐" in html


def test_a_proposal_without_matched_skills_says_nothing_of_them(browser, market):
    run, _project = _run_with_matched_skills(market, [])
    browser.login(market.official)
    html = browser.get(f"/review/runs/{run.id}/projects/{_project.id}").get_data(as_text=True)
    assert "Score 0.80" in html and "matched:" not in html and 'class="matched-skills"' not in html


def test_the_published_award_keeps_the_matched_skills_among_its_reasons(client, market):
    from market.core.db import utcnow
    from market.review import services
    from matching.vocabulary import MatchedSkill

    run, project = _run_with_matched_skills(market, [MatchedSkill("居家养老", "居家养老", "上门照护")])
    award = services.approve_one(market.official, run.proposals[0], reason="", now=utcnow())
    db.session.commit()
    html = client.get(f"/review/awards/{award.id}").get_data(as_text=True)  # public: read while logged out
    assert '<p class="matched-skills">matched: 居家养老 ≈ 上门照护</p>' in html


def test_a_run_matches_a_skill_through_a_word_an_official_added_and_the_console_says_so(browser, market):
    from market.projects.models import ProjectKind, ProjectStatus

    market.org(name="福田颐康中心", name_en="Futian Yikang Centre", capability="为辖区长者提供陪诊到家服务",
               capability_en="")

    def run_on_a_new_project():
        project = market.make_project(kind=ProjectKind.GOVERNMENT_SERVICE, status=ProjectStatus.EVALUATING,
                                      owner=market.official, title="福田街道居家养老服务",
                                      title_en="", description="面向辖区长者的居家养老服务。", description_en="")
        run = market.match([project])
        [proposal] = run.proposals
        return run, project, proposal.units[0].get("matched_skills", [])

    _run, _project, before = run_on_a_new_project()
    assert not any(m["provider_term"] == "陪诊到家" for m in before)
    _add(market.district_official, "陪诊到家", skill="居家养老")
    run, project, after = run_on_a_new_project()
    assert {"skill": "居家养老", "project_term": "居家养老", "provider_term": "陪诊到家"} in after
    browser.login(market.official)
    html = browser.get(f"/review/runs/{run.id}/projects/{project.id}").get_data(as_text=True)
    assert "居家养老 ≈ 陪诊到家" in html and "matched: " in html


def test_an_administrators_run_uses_the_words_of_its_projects_district(market):
    from market.review import adapter
    from tests.market.bids.helpers import AFTER

    _add(market.official, "社区长者照料")
    db.session.commit()
    project = market.make_project(kind=adapter.ProjectKind.MICRO)
    assert project.district_id == market.official.district_id
    options = adapter.build_problem([project.id], adapter.RunOptions(), now=AFTER).problem.options  # no district
    assert "社区长者照料" in _words_of(options.vocabulary, "elderly_care", "居家照料服务")
