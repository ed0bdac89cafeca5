"""One community's whole year, through the pages: proposals → review → vote → results → notice →
progress → acceptance → rating. The clock moves through the services' ``now`` where a deadline
must pass."""
from __future__ import annotations

import re

from sqlalchemy import select

from market.accounts.models import Role
from market.contracts.models import Contract, ContractStatus, Milestone
from market.core.audit import verify_chain
from market.core.db import db, utcnow
from market.core.state import transition
from market.micro.models import MicroRound, Proposal, ProposalStatus, RoundPhase
from market.micro.services import evaluation, voting
from market.notifications.models import Notification
from market.projects.models import Project, ProjectStatus


def _proposal(title: str) -> Proposal:
    return db.session.scalar(select(Proposal).where(Proposal.title == title))


def _post_proposal(b, round_id, category, title, project_type, cost, **extra):
    data = {"title": title, "description": f"{title}：居民提议，详见现场照片。", "category_id": category,
            "project_type": project_type, "place": "岗厦社区", "estimated_cost": str(cost), "submit": "1", **extra}
    return b.post(f"/micro/rounds/{round_id}/proposals/new", data, content_type="multipart/form-data")


def test_a_year_of_resident_micro_projects(make_browser, make_user, make_org, geo, category, street_official,
                                           photo_file):
    addresses = iter(range(1, 250))

    def own_browser():
        """A browser of its own (own address too: log-ins are rate-limited per address)."""
        new = make_browser()
        new.client.environ_base["REMOTE_ADDR"] = f"10.0.0.{next(addresses)}"
        return new

    community = geo.communities[0]
    residents = [make_user(Role.RESIDENT, community=community) for _ in range(10)]
    official = own_browser()
    official.login(street_official)

    # -- collection: the street office opens the round, residents propose -----------------------------
    response = official.post("/micro/rounds/new", {
        "title": "岗厦社区2027年民生微实事", "title_en": "Gangxia Community 2027 micro-projects", "year": "2027",
        "street_id": community.street_id, "community_id": community.id, "budget": "1000000",
        "cap_service": "500000", "cap_works": "1000000"})
    assert response.status_code == 302
    round_ = db.session.scalar(select(MicroRound))
    rid = round_.id
    b = [own_browser() for _ in residents]
    for browser_, resident in zip(b, residents, strict=True):
        browser_.login(resident)
    care, kids, safety = category("elderly_care").id, category("children_family").id, category("public_safety").id
    assert _post_proposal(b[0], rid, care, "长者饭堂桌椅更新", "goods", 120_000, photos=[photo_file()]).status_code == 302
    assert _post_proposal(b[1], rid, kids, "儿童游乐场设施更新", "works", 450_000).status_code == 302
    assert _post_proposal(b[2], rid, kids, "儿童游乐场设施改造", "works", 400_000).status_code == 302
    assert _post_proposal(b[3], rid, safety, "楼道照明节能改造", "works", 380_000).status_code == 302
    assert _post_proposal(b[4], rid, category("mental_health").id, "社区心理健康讲座", "service", 60_000).status_code == 302
    refused = _post_proposal(b[5], rid, category("culture_sports").id, "篮球场夜间照明", "service", 600_000)
    assert refused.status_code == 400 and "Over the cap" in refused.get_data(as_text=True)
    assert _post_proposal(b[5], rid, category("culture_sports").id, "篮球场夜间照明", "works", 250_000).status_code == 302
    similar = b[6].get(f"/micro/rounds/{rid}/similar?q=儿童游乐场设施").get_json()["items"]
    assert {i["title"] for i in similar} == {"儿童游乐场设施更新", "儿童游乐场设施改造"}
    playground, duplicate = _proposal("儿童游乐场设施更新"), _proposal("儿童游乐场设施改造")
    for n in (6, 7):
        assert b[n].post(f"/micro/proposals/{duplicate.id}/support", {"action": "support"}).status_code == 302
    assert b[7].post(f"/micro/proposals/{playground.id}/support", {"action": "support"}).status_code == 302
    assert b[8].post(f"/micro/proposals/{playground.id}/comments", {"body": "孩子们很需要！"}).status_code == 302

    # -- deliberation: review, merge, expert panel -------------------------------------------------------
    assert official.post(f"/micro/rounds/{rid}/phase", {"phase": "review"}).status_code == 302
    assert official.post(f"/micro/proposals/{duplicate.id}/merge", {"target_id": playground.id}).status_code == 302
    page = official.get(f"/micro/proposals/{playground.id}").get_data(as_text=True)
    assert re.search(r"Supporters</dt><dd><strong>3</strong>", page)  # b7 once, b6, and the duplicate's author
    decisions = {"长者饭堂桌椅更新": ("feasible", "100000", ""), "儿童游乐场设施更新": ("feasible", "480000", "含地垫"),
                 "楼道照明节能改造": ("needs_changes", "", "请写明楼栋和灯具数量"), "社区心理健康讲座": ("feasible", "50000", ""),
                 "篮球场夜间照明": ("declined", "", "篮球场产权属于学校，不能使用社区经费。")}
    for title, (outcome, cost, reason) in decisions.items():
        response = official.post(f"/micro/proposals/{_proposal(title).id}/review",
                                 {"outcome": outcome, "official_cost": cost, "reason": reason})
        assert response.status_code == 302, title
    lights = _proposal("楼道照明节能改造")
    response = b[3].post(f"/micro/proposals/{lights.id}/edit", {
        "title": "楼道照明节能改造", "description": "1-12栋楼道更换声控LED灯共240盏。", "category_id": safety,
        "project_type": "works", "place": "岗厦社区1-12栋", "estimated_cost": "300000", "submit": "1"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert official.post(f"/micro/proposals/{lights.id}/review",
                         {"outcome": "feasible", "official_cost": "300000", "reason": ""}).status_code == 302
    expert = make_user(Role.PROVIDER)
    assert official.post(f"/micro/rounds/{rid}/panel", {"email": expert.email}).status_code == 302
    panel = own_browser()
    panel.login(expert)
    canteen = _proposal("长者饭堂桌椅更新")
    assert panel.post(f"/micro/proposals/{canteen.id}/score",
                      {"need": "5", "feasibility": "5", "value_for_money": "4", "reach": "4"}).status_code == 302

    # -- decision: the vote ------------------------------------------------------------------------------
    response = official.post(f"/micro/rounds/{rid}/voting", {
        "budget": "800000", "opens_at": "2020-01-01T08:00", "closes_at": "2099-12-31T20:00", "ballot_type": "approval",
        "max_picks": "", "rule": "greedy", "notice_working_days": "5"})
    assert response.status_code == 302
    talks = _proposal("社区心理健康讲座")
    picks = {0: [playground, lights, canteen], 1: [playground, lights], 2: [playground, canteen],
             3: [lights], 4: [playground, talks], 5: [playground, lights, canteen],
             6: [playground, lights], 7: [playground], 8: [lights, canteen, talks], 9: [canteen]}
    for n, chosen in picks.items():
        response = b[n].post(f"/micro/rounds/{rid}/ballot", {"proposal_ids": [p.id for p in chosen]})
        assert response.status_code == 302, n
    # Resident 9 changes their mind; an unverified neighbour and a resident of another community cannot vote.
    assert b[9].post(f"/micro/rounds/{rid}/ballot", {"proposal_ids": [lights.id]}).status_code == 302
    assert b[9].post(f"/micro/rounds/{rid}/ballot", {"proposal_ids": [canteen.id]}).status_code == 302
    for outsider in (make_user(Role.RESIDENT, community=community, verified=False),
                     make_user(Role.RESIDENT, community=geo.communities[1])):
        ob = own_browser()
        ob.login(outsider)
        assert ob.post(f"/micro/rounds/{rid}/ballot", {"proposal_ids": [canteen.id]}).status_code == 403

    # -- results and public notice (the clock moves to the closing time) ---------------------------------
    db.session.expire_all()
    round_ = db.session.get(MicroRound, rid)
    voting.close_voting(street_official, round_, now=round_.voting_closes_at)
    db.session.commit()
    page = b[0].get(f"/micro/rounds/{rid}/results").get_data(as_text=True)
    votes = {int(pid): int(v) for pid, v in re.findall(r'data-proposal="(\d+)".*?data-votes="(\d+)"', page, re.S)}
    assert votes == {playground.id: 7, lights.id: 6, canteen.id: 5, talks.id: 2}
    assert re.search(r'id="voters">10<', page) and re.search(r'id="selected-count">2<', page)
    assert re.search(r'id="budget-used">¥780,000<', page) and "pct-95" in page
    assert "Not selected: 5 votes (place 3 by votes), but the budget left ¥20,000 &lt; cost ¥100,000." in page
    selected = {r.proposal_id for r in round_.results if r.selected}
    assert selected == {playground.id, lights.id}
    assert b[1].post(f"/micro/rounds/{rid}/objections", {"body": "长者饭堂也很重要，为什么落选？"}).status_code == 302
    objection_id = voting.objections_of(round_)[0].id
    assert official.post(f"/micro/objections/{objection_id}/answer",
                         {"answer": "按得票顺序，剩余预算2万元不足以支付长者饭堂项目10万元。"}).status_code == 302
    projects = voting.finalise_results(street_official, round_, now=round_.notice_ends_at)
    db.session.commit()
    assert sorted(p.budget_cents for p in projects) == [30_000_000, 48_000_000]
    assert all(p.status == ProjectStatus.OPEN and p.owner_id == street_official.id for p in projects)
    assert {p.district_id for p in projects} == {round_.street.district_id}  # its district governs it
    project = db.session.get(Project, _proposal("儿童游乐场设施更新").project_id)

    # -- implementation: the marketplace engages a provider (simulated here) ------------------------------
    org = make_org(name="福田区童乐社会工作服务中心")
    member = make_user(Role.PROVIDER, organization=org)
    contract = Contract(project_id=project.id, provider_id=org.id, amount_cents=46_000_000,
                        status=ContractStatus.SIGNED, signed_at=utcnow())
    contract.milestones = [Milestone(seq=1, title="拆除旧设施", due_date=utcnow().date(), amount_cents=20_000_000),
                           Milestone(seq=2, title="安装新设施", due_date=utcnow().date(), amount_cents=26_000_000)]
    db.session.add(contract)
    transition(project, ProjectStatus.AWARDED, actor=street_official, action="project.awarded")
    transition(project, ProjectStatus.IN_PROGRESS, actor=street_official, action="project.started")
    db.session.commit()
    assert b[1].post(f"/micro/projects/{project.id}/follow", {"action": "follow"}).status_code == 302
    provider = own_browser()
    provider.login(member)
    response = provider.post(f"/micro/projects/{project.id}/updates/new", {
        "body": "旧设施已拆除，地面找平完成。", "percent_complete": "45", "milestone_id": contract.milestones[0].id,
        "milestone_done": "y", "photos": [photo_file()]}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert b[2].post(f"/micro/projects/{project.id}/flags",
                     {"kind": "safety", "body": "拆除后有钢筋外露。"}).status_code == 302
    flag_id = int(re.search(r'id="flag-(\d+)"', b[2].get(f"/micro/projects/{project.id}").get_data(as_text=True))[1])
    assert official.post(f"/micro/flags/{flag_id}/answer", {"answer": "已责令当日处理并复查。"}).status_code == 302

    # -- acceptance and rating --------------------------------------------------------------------------
    assert official.post(f"/micro/projects/{project.id}/accept",
                         {"report": "现场验收：设施安装牢固，地垫符合标准。", "rating_days": "30"}).status_code == 302
    for n, stars in ((1, "5"), (2, "4"), (3, "5")):
        response = b[n].post(f"/micro/projects/{project.id}/rate", {
            "quality": stars, "timeliness": stars, "communication": stars, "value_for_money": stars})
        assert response.status_code == 302
    assert evaluation.provider_rating_totals([org.id]) == {org.id: (14.0, 3)}
    reputation = evaluation.provider_reputation(org.id)
    assert reputation.stars == (3 * 5 + 14) / 8

    # -- what residents were told, and the audit chain -----------------------------------------------------
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == residents[1].id)))
    assert {"micro.voting_opened", "micro.results_published", "micro.results_final", "micro.objection_answered",
            "micro.project_update", "micro.rating_open"} <= kinds
    assert verify_chain().ok
    assert db.session.scalar(select(Proposal.status).where(Proposal.id == canteen.id)) == ProposalStatus.NOT_SELECTED
    db.session.refresh(round_)
    assert round_.phase == RoundPhase.FINAL

    # -- every page of the cycle renders in both languages -----------------------------------------------------
    urls = ["/micro/", f"/micro/rounds/{rid}", f"/micro/rounds/{rid}/results", f"/micro/proposals/{playground.id}",
            f"/micro/projects/{project.id}", "/dashboard", "/notifications/", f"/organizations/{org.id}"]
    for lang in ("zh", "en"):
        b[1].get(f"/lang/{lang}")
        for url in urls:
            assert b[1].get(url).status_code == 200, (lang, url)
    assert "民生微实事" in b[1].get("/micro/").get_data(as_text=True)
