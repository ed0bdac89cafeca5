"""Collection: proposals with photos, drafts, similar-proposal suggestions, supports, comments, merging."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import PermissionDenied
from market.core.state import transition
from market.micro.models import Comment, Photo, Proposal, ProposalStatus, RoundPhase, Support
from market.micro.services import proposals
from tests.market.micro.conftest import JPEG_BYTES


def _form(category, **overrides):
    data = {"title": "岗厦社区儿童游乐设施改造", "description": "小区游乐场设施老化，希望更换滑梯和地垫。",
            "category_id": category("children_family").id, "project_type": "works", "place": "岗厦村中心广场",
            "estimated_cost": "300000", "title_en": "", "description_en": "", "submit": "1"}
    data.update(overrides)
    return data


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_verified_resident_submits_a_proposal_with_photos(browser, make_user, make_round, category, photo_file, app):
    round_ = make_round()
    resident = make_user(Role.RESIDENT)
    browser.login(resident)
    response = browser.post(f"/micro/rounds/{round_.id}/proposals/new",
                            _form(category, photos=[photo_file("a.png"), photo_file("b.jpg", JPEG_BYTES)]),
                            content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    proposal = db.session.scalar(select(Proposal))
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.submitted_at is not None
    assert proposal.estimated_cost_cents == 30_000_000 and proposal.author_id == resident.id
    photos = db.session.scalars(select(Photo).order_by(Photo.id)).all()
    assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
    assert all(len(p.stored_name) == 36 and p.stored_name.endswith((".png", ".jpg")) for p in photos)
    with browser.get(f"/micro/photos/{photos[0].id}") as page:
        assert page.status_code == 200 and page.mimetype == "image/png" and page.data.startswith(b"\x89PNG")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "micro.proposal_created" in actions and "micro.proposal_submitted" in actions


def test_draft_stays_private_until_submitted(browser, make_browser, make_user, make_round, category):
    round_ = make_round()
    author = make_user(Role.RESIDENT)
    browser.login(author)
    response = browser.post(f"/micro/rounds/{round_.id}/proposals/new",
                            _form(category, submit="", save_draft="1"), content_type="multipart/form-data")
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert proposal.status == ProposalStatus.DRAFT
    other = make_browser()
    other.login(make_user(Role.RESIDENT))
    assert other.get(f"/micro/proposals/{proposal.id}").status_code == 404
    assert browser.get(f"/micro/proposals/{proposal.id}").status_code == 200
    assert browser.post(f"/micro/proposals/{proposal.id}/submit").status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.SUBMITTED
    assert other.get(f"/micro/proposals/{proposal.id}").status_code == 200


def test_bad_input_rerenders_with_data_and_writes_nothing(browser, make_user, make_round, category):
    round_ = make_round()
    browser.login(make_user(Role.RESIDENT))
    response = browser.post(f"/micro/rounds/{round_.id}/proposals/new",
                            _form(category, estimated_cost="1200000"), content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "岗厦社区儿童游乐设施改造" in page
    assert "Over the cap" in page and "¥1,000,000" in page
    response = browser.post(f"/micro/rounds/{round_.id}/proposals/new", _form(category, title="", estimated_cost="x"),
                            content_type="multipart/form-data")
    assert response.status_code == 400
    assert _count(Proposal) == 0 and _count(Photo) == 0


def test_photos_are_checked_by_content_size_and_number(browser, make_user, make_round, category, photo_file,
                                                      monkeypatch):
    # A 100 KB limit for the test: the test client leaks the temporary file of bodies over 500 KB.
    monkeypatch.setattr("market.micro.services.common.MAX_PHOTO_BYTES", 100 * 1024)
    monkeypatch.setattr("market.micro.routes.MAX_PHOTO_BYTES", 100 * 1024)
    round_ = make_round()
    browser.login(make_user(Role.RESIDENT))
    url = f"/micro/rounds/{round_.id}/proposals/new"
    fake = photo_file("evil.png", b"<script>alert(1)</script>" * 10)
    response = browser.post(url, _form(category, photos=[fake]), content_type="multipart/form-data")
    assert response.status_code == 400 and "is not a JPEG, PNG or WebP image" in response.get_data(as_text=True)
    wrong_name = photo_file("photo.svg")
    assert browser.post(url, _form(category, photos=[wrong_name]), content_type="multipart/form-data").status_code == 400
    big = photo_file("big.jpg", JPEG_BYTES + b"\x00" * 100 * 1024)
    response = browser.post(url, _form(category, photos=[big]), content_type="multipart/form-data")
    assert response.status_code == 400 and "big.jpg is larger than 100 KB" in response.get_data(as_text=True)
    seven = [photo_file(f"p{i}.png") for i in range(7)]
    response = browser.post(url, _form(category, photos=seven), content_type="multipart/form-data")
    assert response.status_code == 400 and "At most 6 photos" in response.get_data(as_text=True)
    assert _count(Proposal) == 0 and _count(Photo) == 0


def test_only_verified_residents_of_the_community_propose(browser, make_user, make_round, category, geo):
    round_ = make_round()
    url = f"/micro/rounds/{round_.id}/proposals/new"
    advice = {  # a refusal says what the person can do about it
        "unverified": "Your account awaits verification by Futian Subdistrict",
        "elsewhere": "you are registered in",
        "provider": "Log in with an account of the right kind",
    }
    for who, user in (("unverified", make_user(Role.RESIDENT, verified=False)),
                      ("elsewhere", make_user(Role.RESIDENT, community=geo.communities[2])),
                      ("provider", make_user(Role.PROVIDER))):
        browser.login(user)
        page = browser.get(url)
        assert page.status_code == 403 and advice[who] in page.get_data(as_text=True), who
        assert browser.post(url, _form(category), content_type="multipart/form-data").status_code == 403
        browser.logout()
    assert _count(Proposal) == 0


def test_no_proposals_outside_collection(browser, make_user, make_round, category):
    round_ = make_round(phase=RoundPhase.REVIEW)
    browser.login(make_user(Role.RESIDENT))
    response = browser.post(f"/micro/rounds/{round_.id}/proposals/new", _form(category),
                            content_type="multipart/form-data")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "officials are reviewing" in page and "What you can do:" in page
    assert _count(Proposal) == 0


def test_a_voting_round_says_until_when_and_points_to_a_collecting_round(browser, make_user, make_round, category):
    voting = make_round(phase=RoundPhase.VOTING)
    collecting = make_round(street_wide=True)  # the street's programme collects while the community votes
    collecting.title, collecting.title_en = "下一轮征集", "The next round"
    db.session.commit()
    browser.login(make_user(Role.RESIDENT))
    response = browser.get(f"/micro/rounds/{voting.id}/proposals/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "voting now, until" in page
    assert "The next round" in page  # where the resident can propose instead
    results = browser.get(f"/micro/rounds/{voting.id}/results")
    assert results.status_code == 200 and "The votes are counted when it closes" in results.get_data(as_text=True)


def test_draft_photo_is_private(make_browser, browser, make_user, make_round, category, photo_file):
    round_ = make_round()
    browser.login(make_user(Role.RESIDENT))
    browser.post(f"/micro/rounds/{round_.id}/proposals/new", _form(category, submit="", save_draft="1",
                                                                   photos=[photo_file()]),
                 content_type="multipart/form-data")
    photo = db.session.scalar(select(Photo))
    with browser.get(f"/micro/photos/{photo.id}") as page:
        assert page.status_code == 200
    assert make_browser().get(f"/micro/photos/{photo.id}").status_code == 404


def test_author_edits_a_draft_and_removes_a_photo(browser, make_user, make_round, category, photo_file):
    round_ = make_round()
    author = make_user(Role.RESIDENT)
    browser.login(author)
    browser.post(f"/micro/rounds/{round_.id}/proposals/new",
                 _form(category, submit="", save_draft="1", photos=[photo_file()]), content_type="multipart/form-data")
    proposal = db.session.scalar(select(Proposal))
    photo = proposal.photos[0]
    assert browser.get(f"/micro/proposals/{proposal.id}/edit").status_code == 200
    assert browser.post(f"/micro/photos/{photo.id}/delete").status_code == 302
    response = browser.post(f"/micro/proposals/{proposal.id}/edit", _form(category, title="新标题：游乐设施更新"),
                            content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.title == "新标题：游乐设施更新" and proposal.status == ProposalStatus.SUBMITTED
    assert _count(Photo) == 0
    # Submitted proposals are frozen for their author.
    assert browser.get(f"/micro/proposals/{proposal.id}/edit").status_code == 403


def test_similar_endpoint_suggests_existing_proposals(client, make_round, make_proposal, geo, make_user):
    round_ = make_round()
    match = make_proposal(round_, title="岗厦社区儿童游乐场设施更新", status=ProposalStatus.SUBMITTED)
    make_proposal(round_, title="长者饭堂桌椅更新", status=ProposalStatus.SUBMITTED)
    make_proposal(round_, title="儿童游乐场改造（草稿）", status=ProposalStatus.DRAFT)
    response = client.get(f"/micro/rounds/{round_.id}/similar?q=儿童游乐设施改造")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["id"] for i in items] == [match.id]
    assert items[0]["url"] == f"/micro/proposals/{match.id}" and items[0]["supporters"] == 0
    assert client.get(f"/micro/rounds/{round_.id}/similar?q=x").get_json() == {"items": []}


def test_similar_endpoint_bad_input_is_json(client):
    response = client.get("/micro/rounds/999/similar?q=abc")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_similar_endpoint_requires_q(client, make_round):
    round_ = make_round()
    response = client.get(f"/micro/rounds/{round_.id}/similar")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"q": ["This field is required."]}


def test_possible_duplicates_listed_after_submit(browser, make_user, make_round, make_proposal, category):
    round_ = make_round()
    existing = make_proposal(round_, title="岗厦社区儿童游乐设施改造工程", status=ProposalStatus.SUBMITTED)
    browser.login(make_user(Role.RESIDENT))
    response = browser.post(f"/micro/rounds/{round_.id}/proposals/new", _form(category), follow_redirects=True,
                            content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "Similar proposals exist" in page and "Possible duplicates" in page
    assert f"/micro/proposals/{existing.id}" in page


def test_support_once_and_withdraw(browser, make_user, make_round, make_proposal):
    round_ = make_round()
    proposal = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    browser.login(make_user(Role.RESIDENT))
    url = f"/micro/proposals/{proposal.id}/support"
    assert browser.post(url, {"action": "support"}).status_code == 302
    assert browser.post(url, {"action": "support"}).status_code == 409
    assert _count(Support) == 1
    assert browser.post(url, {"action": "withdraw"}).status_code == 302
    assert _count(Support) == 0


def test_support_refused_for_own_other_community_and_after_collection(browser, make_user, make_round, make_proposal,
                                                                      geo):
    round_ = make_round()
    author = make_user(Role.RESIDENT)
    proposal = make_proposal(round_, author=author, status=ProposalStatus.SUBMITTED)
    url = f"/micro/proposals/{proposal.id}/support"
    browser.login(author)
    assert browser.post(url, {"action": "support"}).status_code == 400
    browser.logout()
    browser.login(make_user(Role.RESIDENT, community=geo.communities[2]))
    assert browser.post(url, {"action": "support"}).status_code == 403  # the policy refuses before the form
    with pytest.raises(PermissionDenied, match="This round is for residents of"):  # the service says why
        proposals.support_proposal(make_user(Role.RESIDENT, community=geo.communities[2]), proposal)
    db.session.rollback()
    browser.logout()
    transition(round_, RoundPhase.REVIEW, actor=None, action="micro.round_phase_changed")
    db.session.commit()
    browser.login(make_user(Role.RESIDENT))
    assert browser.post(url, {"action": "support"}).status_code == 409
    assert _count(Support) == 0


def test_comments(browser, make_user, make_round, make_proposal, geo):
    round_ = make_round()
    proposal = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    browser.login(make_user(Role.RESIDENT))
    url = f"/micro/proposals/{proposal.id}/comments"
    assert browser.post(url, {"body": "  "}).status_code == 400
    assert browser.post(url, {"body": "支持！楼下的孩子们都需要。"}).status_code == 302
    assert "楼下的孩子们都需要" in browser.get(f"/micro/proposals/{proposal.id}").get_data(as_text=True)
    browser.logout()
    browser.login(make_user(Role.RESIDENT, community=geo.communities[3]))
    assert browser.post(url, {"body": "路过"}).status_code == 403
    assert _count(Comment) == 1


def test_merge_carries_supporters_without_double_counting(browser, make_user, make_round, make_proposal,
                                                          street_official):
    from market.micro.services.proposals import support_counts

    round_ = make_round()
    target = make_proposal(round_, title="儿童游乐场更新", status=ProposalStatus.SUBMITTED)
    duplicate = make_proposal(round_, title="游乐场设施更换", status=ProposalStatus.SUBMITTED)
    both, only_dup, only_target = (make_user(Role.RESIDENT) for _ in range(3))
    db.session.add_all([Support(proposal_id=target.id, user_id=both.id),
                        Support(proposal_id=duplicate.id, user_id=both.id),
                        Support(proposal_id=duplicate.id, user_id=only_dup.id),
                        Support(proposal_id=target.id, user_id=only_target.id),
                        Support(proposal_id=duplicate.id, user_id=target.author_id)])
    db.session.commit()
    browser.login(street_official)
    response = browser.post(f"/micro/proposals/{duplicate.id}/merge", {"target_id": target.id})
    assert response.status_code == 302
    db.session.refresh(duplicate)
    assert duplicate.status == ProposalStatus.MERGED and duplicate.merged_into_id == target.id
    # both, only_target, only_dup and the duplicate's author; the target's author is not counted twice
    assert support_counts([target.id, duplicate.id]) == {target.id: 4}
    supporters = set(db.session.scalars(select(Support.user_id).where(Support.proposal_id == target.id)))
    assert supporters == {both.id, only_target.id, only_dup.id, duplicate.author_id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "micro.proposal_merged"))
    assert event.after["supporters_moved"] == 2 and event.after["already_supporting"] == 2


def test_merge_refused_for_residents_and_bad_targets(browser, make_user, make_round, make_proposal, street_official):
    round_ = make_round()
    target = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    duplicate = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    browser.login(make_user(Role.RESIDENT))
    assert browser.post(f"/micro/proposals/{duplicate.id}/merge", {"target_id": target.id}).status_code == 403
    browser.logout()
    browser.login(street_official)
    response = browser.post(f"/micro/proposals/{duplicate.id}/merge", {"target_id": duplicate.id})
    assert response.status_code == 400  # not among the choices
    declined = make_proposal(round_, status=ProposalStatus.DECLINED)
    assert browser.post(f"/micro/proposals/{declined.id}/merge", {"target_id": target.id}).status_code == 409
    db.session.refresh(duplicate)
    assert duplicate.status == ProposalStatus.SUBMITTED
