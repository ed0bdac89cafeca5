"""market.review.adapter: database rows into matching dataclasses, and the result back."""
from __future__ import annotations

import json

from flask_babel import force_locale

from market.bids.services import lots_of
from market.contracts.models import Contract, ContractStatus
from market.core.db import db
from market.orgs.models import OrgKind
from market.projects.models import ProjectKind, ProjectStatus
from market.review import adapter
from market.review.models import DecisionKind, MatchDecision
from market.review.reasons import reason_text
from tests.market.bids.helpers import AFTER


def _built(projects, **options):
    return adapter.build_problem([p.id for p in projects], adapter.RunOptions(**options), now=AFTER)


def test_tendered_project_maps_eligibility_lots_and_opened_bids(market):
    project = market.tendered(min_rating_grade=3, min_years_registered=2, min_staff=5, min_office_area_m2=50,
                              lots=(("个案", 20_000_000), ("活动", 10_000_000)))
    lots = lots_of(project)
    user = market.provider()
    market.bid(user, project, 19_000_000, lot=lots[0])
    market.bid(user, project, 9_500_000, lot=lots[1])
    market.open(project)
    built = _built([project])
    [spec] = built.problem.projects
    assert spec.needs_provider and not spec.needs_funding  # paid by the purchasing department
    assert spec.requirements.min_rating_grade == 3 and spec.requirements.min_office_area_m2 == 50
    assert [(lot.id, lot.budget) for lot in spec.lots] == [(lots[0].id, 20_000_000), (lots[1].id, 10_000_000)]
    assert {(b.lot_id, b.price) for b in built.problem.bids} == {(lots[0].id, 19_000_000), (lots[1].id, 9_500_000)}
    provider = built.problem.provider(user.organization_id)
    assert provider.categories == ("elderly_care",) and provider.rating_grade == 4
    assert built.stats["bids"] == 2


def test_sealed_or_bidless_tenders_are_skipped_with_a_reason(market):
    sealed = market.tendered()
    market.bid(market.provider(), sealed, 20_000_000)
    empty = market.tendered()
    market.open(empty)
    built = _built([sealed, empty])
    assert built.problem.projects == ()
    codes = {s["project_id"]: s["code"] for s in built.skipped}
    assert codes == {sealed.id: "bids_sealed", empty.id: "no_valid_bid"}
    sealed_params = next(s["params"] for s in built.skipped if s["project_id"] == sealed.id)
    assert set(sealed_params) == {"deadline"}
    with force_locale("en"):
        assert reason_text("bids_sealed", sealed_params) == f"Bids not opened yet: bidding closes {sealed_params['deadline']}."


def test_micro_and_public_benefit_projects_need_what_they_lack(market, make_pool):
    micro = market.make_project(kind=ProjectKind.MICRO, budget_cents=5_000_000, community=market.geo.communities[0])
    benefit = market.received(market.make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=8_000_000,
                                                  owner=market.official), 3_000_000)
    done = market.received(market.make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=8_000_000), 8_000_000)
    built = _built([micro, benefit, done])
    specs = {p.id: p for p in built.problem.projects}
    assert specs[micro.id].needs_provider and specs[micro.id].needs_funding
    assert specs[micro.id].community_id == market.geo.communities[0].id
    assert not specs[benefit.id].needs_provider and specs[benefit.id].price == 5_000_000
    assert [s["code"] for s in built.skipped] == ["already_funded"]
    gov = market.make_project(kind=ProjectKind.GOVERNMENT_SERVICE)
    assert _built([gov], fund_government_services=True).problem.projects[0].needs_funding


def test_providers_capacity_reputation_and_deliveries(market):
    project = market.make_project(kind=ProjectKind.MICRO)
    busy = market.org(capacity=2)
    market.org(kind=OrgKind.FOUNDATION)  # funders do not deliver
    unverified = market.org(verified=False)
    other = market.org()
    for status in (ContractStatus.SIGNED, ContractStatus.COMPLETED, ContractStatus.TERMINATED):
        db.session.add(Contract(project_id=market.make_project(status=ProjectStatus.IN_PROGRESS).id,
                                provider_id=busy.id, amount_cents=100, status=status))
    db.session.commit()
    market.rate(market.delivered(busy), 5, 4)  # accepted: its contract is the second one completed
    market.rate(market.delivered(other), {"quality": 5, "timeliness": 4, "communication": 4, "value_for_money": 3})
    providers = {p.id: p for p in _built([project]).problem.providers}
    assert unverified.id not in providers and all(p.kind != "other" for p in providers.values())
    assert providers[busy.id].capacity == 1  # 2 minus the signed contract
    assert (providers[busy.id].deliveries_completed, providers[busy.id].deliveries_failed) == (2, 1)
    assert (providers[busy.id].rating_sum, providers[busy.id].rating_count) == (9, 2)
    assert (providers[other.id].rating_sum, providers[other.id].rating_count) == (4, 1)


def test_ratings_written_by_residents_reach_the_provider_specs(market):
    """A rating given through market.micro.services.evaluation.rate_project changes the provider's
    spec at once; a provider nobody rated has no ratings (the engine's prior applies)."""
    rated, unrated = market.org(), market.org()
    delivered = market.delivered(rated)
    before = {p.id: (p.rating_sum, p.rating_count) for p in adapter.provider_specs(AFTER.date())[0]}
    assert before[rated.id] == before[unrated.id] == (0.0, 0)
    market.rate(delivered, {"quality": 2, "timeliness": 1, "communication": 2, "value_for_money": 1}, 2)
    after = {p.id: (p.rating_sum, p.rating_count) for p in adapter.provider_specs(AFTER.date())[0]}
    assert after[rated.id] == (1.5 + 2.0, 2) and after[unrated.id] == (0.0, 0)


def test_pools_use_money_left_and_their_rules(market, make_pool, category):
    project = market.make_project(kind=ProjectKind.MICRO)
    pool = make_pool(total_cents=50_000_000, remaining_cents=12_000_000, max_grant_cents=5_000_000,
                     max_share_percent=50, focus=("elderly_care",))
    make_pool(remaining_cents=0)
    make_pool(is_open=False)
    [spec] = _built([project]).problem.pools
    assert (spec.id, spec.remaining, spec.max_per_project, spec.max_share) == (pool.id, 12_000_000, 5_000_000, 0.5)
    assert spec.categories == frozenset({"elderly_care"}) and spec.kind == "foundation"


def test_district_wide_projects_need_district_wide_providers_and_pools(market, make_pool):
    project = market.make_project(kind=ProjectKind.MICRO, street=None)
    project.street_id = None
    db.session.commit()
    local = market.org()
    everywhere = market.org(serves_whole_district=True)
    make_pool(total_cents=100_000_000)
    result = adapter.solve_built(_built([project]), adapter.RunOptions(time_limit=10))
    [assignment] = result["assignments"]
    assert assignment["provider_id"] == everywhere.id != local.id


def test_bid_outside_the_category_is_a_candidate_scored_lower(market):
    project = market.tendered()
    specialist = market.provider(capability="专注居家养老、助餐配送")
    outsider = market.provider(categories=("youth",), capability="专注居家养老、助餐配送")
    market.bid(specialist, project, 25_000_000)
    market.bid(outsider, project, 25_000_000)
    market.open(project)
    built = _built([project])
    assert built.wrong_category == {(project.id, None): {outsider.organization_id}}
    only_outsider = MatchDecision(project_id=project.id, provider_id=specialist.organization_id,
                                  kind=DecisionKind.FORBID, reason="测试：排除专业机构", created_by_id=market.official.id)
    db.session.add(only_outsider)
    db.session.commit()
    result = adapter.solve_built(
        adapter.build_problem([project.id], adapter.RunOptions(), now=AFTER, decisions=[only_outsider]),
        adapter.RunOptions(time_limit=10))
    [assignment] = result["assignments"]
    assert assignment["provider_id"] == outsider.organization_id
    assert assignment["components"]["category"] == adapter.WRONG_CATEGORY_SCORE
    assert result["wrong_category"] == [[project.id, None, outsider.organization_id]]
    both = adapter.solve_built(_built([project]), adapter.RunOptions(time_limit=10))
    assert both["assignments"][0]["provider_id"] == specialist.organization_id


def test_decisions_pin_and_forbid_and_revoked_ones_are_ignored(market):
    project = market.tendered()
    first, second = market.provider(), market.provider()
    market.bid(first, project, 20_000_000)
    market.bid(second, project, 29_000_000)
    market.open(project)

    def decision(kind, provider, revoked=False):
        d = MatchDecision(project_id=project.id, provider_id=provider.organization_id, kind=kind,
                          reason="理由充分的决定", created_by_id=market.official.id,
                          revoked_at=AFTER if revoked else None)
        db.session.add(d)
        db.session.flush()
        return d

    pin = decision(DecisionKind.PIN, second)
    revoked = decision(DecisionKind.PIN, first, revoked=True)
    built = adapter.build_problem([project.id], adapter.RunOptions(), now=AFTER, decisions=[pin, revoked])
    assert [(d.kind, d.provider_id) for d in built.problem.decisions] == [("pin", second.organization_id)]
    result = adapter.solve_built(built, adapter.RunOptions(time_limit=10))
    assert result["assignments"][0]["provider_id"] == second.organization_id
    assert result["assignments"][0]["pinned"]
    assert {"code": "pinned_provider", "params": {"project_id": project.id, "lot_id": None,
                                                  "provider_id": second.organization_id}} in result["binding"]


def test_results_are_plain_json_and_reasons_read_in_both_languages(market):
    project = market.make_project(kind=ProjectKind.MICRO, category_code="youth")
    result = adapter.solve_built(_built([project]), adapter.RunOptions(time_limit=10))
    json.dumps(result)
    [unmatched] = result["unmatched"]
    assert unmatched["code"] == "no_provider_for_category" and unmatched["params"]["category"] == "youth"
    assert all(isinstance(n, dict) and {"code", "params"} <= set(n) for n in result["notes"] + result["binding"])
    with force_locale("en"):
        assert reason_text(unmatched["code"], unmatched["params"]) == \
            f"No provider offers {unmatched['params']['category_name']}."
        assert reason_text("unknown_code", {}) == "unknown_code"


def test_funding_crumbs_are_folded_into_a_pool_with_room():
    from matching.optimize import verify
    from matching.types import Assignment, Funding, MatchProblem, MatchResult, PoolSpec, ProjectSpec

    project = ProjectSpec(id=1, title="助餐", category="elderly_care", street_id=1, budget=1_000_000,
                          needs_provider=False)

    def result(*amounts):
        funding = tuple(Funding(pool_id, amount) for pool_id, amount in amounts)
        return MatchResult("optimal", 1.0, 1.0, 0.0, (Assignment(1, None, 0.5, {}, 1_000_000, funding),), (), (),
                           "cbc", 0.1)

    roomy = MatchProblem(projects=[project], providers=[],
                         pools=[PoolSpec(id=1, name="A", remaining=5_000_000), PoolSpec(id=2, name="B", remaining=10)])
    tidy = adapter.tidy_funding(roomy, result((1, 999_999), (2, 1)))
    assert tidy.assignments[0].funding == (Funding(1, 1_000_000),)
    assert verify(roomy, tidy) == []
    capped = MatchProblem(projects=[project], providers=[],
                          pools=[PoolSpec(id=1, name="A", remaining=5_000_000, max_per_project=999_999),
                                 PoolSpec(id=2, name="B", remaining=10)])
    kept = adapter.tidy_funding(capped, result((1, 999_999), (2, 1)))
    assert kept.assignments[0].funding == (Funding(1, 999_999), Funding(2, 1))


def test_projects_that_moved_on_are_skipped(market):
    project = market.make_project(kind=ProjectKind.MICRO, status=ProjectStatus.CANCELLED)
    assert [s["code"] for s in _built([project]).skipped] == ["not_matchable"]


def test_matching_reads_the_verified_facts_while_changed_ones_wait(market):
    from market.orgs import services as orgs

    org = market.org(verified=False, rating_grade=4, full_time_staff=12)
    orgs.verify(market.official, org, facts_seen=org.facts_digest())
    member = market.provider(org)
    orgs.update_org(member, org, orgs.OrgInput(
        name=org.name, kind=org.kind, registration_date=org.registration_date, full_time_staff=2,
        office_area_m2=org.office_area_m2, rating_grade=1, capability=org.capability, capacity=org.capacity,
        home_street_id=org.home_street_id, category_ids=tuple(c.id for c in org.categories)))
    db.session.commit()
    assert org.verification_state == "pending"
    spec = {p.id: p for p in adapter.provider_specs(AFTER.date())[0]}[org.id]
    assert (spec.rating_grade, spec.staff) == (4, 12)  # the verified facts, not the claimed ones
    orgs.refuse(market.official, org, "资质证书与申报不符")
    db.session.commit()
    assert org.id not in {p.id for p in adapter.provider_specs(AFTER.date())[0]}


def test_what_an_organisation_supplies_decides_which_projects_it_is_proposed_for(market):
    from market.geo.models import ProjectType
    from matching.candidates import generate_candidates

    goods = market.make_project(title="长者活动室健身器材采购")
    works = market.make_project(title="长者饭堂适老化改造工程")
    goods.project_type, works.project_type = ProjectType.GOODS, ProjectType.WORKS
    troupe = market.org(name="福田区艺术团")
    supplier = market.org(name="深圳市体育用品有限公司")
    builder = market.org(name="深圳市装饰工程有限公司")
    supplier.supplies = ["goods"]
    builder.supplies, builder.qualifications = ["works"], ["construction"]
    db.session.commit()
    built = _built([goods, works])
    assert built.problem.provider(troupe.id).supplies == frozenset({"service"})
    assert built.problem.provider(builder.id).qualifications == frozenset({"construction"})
    assert built.problem.project(works.id).requirements.qualifications == frozenset({"construction"})
    candidates = generate_candidates(built.problem)
    assert [c.provider_id for c in candidates.for_project(goods.id)] == [supplier.id]
    assert [c.provider_id for c in candidates.for_project(works.id)] == [builder.id]
    builder.qualifications = []
    db.session.commit()
    unlicensed = generate_candidates(_built([works]).problem)
    assert unlicensed.for_project(works.id) == ()


def test_a_project_nobody_supplies_is_explained(market):
    from market.geo.models import ProjectType

    project = market.make_project(title="社区健身器材采购", kind=ProjectKind.MICRO)
    project.project_type = ProjectType.GOODS
    market.org(name="福田区艺术团")
    db.session.commit()
    run = market.match([project])
    [entry] = [u for u in run.result["unmatched"] if u["project_id"] == project.id]
    assert entry["code"] == "no_provider_supplies_type"
    with force_locale("en"):
        text = reason_text(entry["code"], entry["params"])
    assert text.startswith("No provider of ") and text.endswith(" supplies goods.")
