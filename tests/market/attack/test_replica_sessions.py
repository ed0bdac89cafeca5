"""Whether a session is still valid (account disabled, every session ended) is a security decision:
it must be read from the primary, not from a replica that has not caught up yet. The "replica" here is
a stale copy of the primary's file, as in tests/market/test_replica.py."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from market.core.db import db
from tests.market.replica_helpers import stale_replica_site

PASSWORD = "correct-horse-9"


@pytest.fixture
def _request_context():
    """These tests build their own app (two databases), not the suite's."""
    yield


@pytest.fixture
def site(tmp_path):
    from market.accounts.models import Role, User
    from market.geo.models import Category
    from market.projects.models import Project, ProjectKind

    def owner_and_draft():
        owner = User(email="owner@example.org", display_name="Owner", role=Role.OFFICIAL)
        owner.set_password(PASSWORD)
        db.session.add(owner)
        db.session.flush()
        db.session.add(Project(kind=ProjectKind.PUBLIC_BENEFIT, title="未公开的草稿项目", project_type="service",
                               category_id=db.session.scalar(select(Category.id)), budget_cents=1_000_000,
                               owner_id=owner.id, status="draft"))

    with stale_replica_site(tmp_path, owner_and_draft) as app:
        app.config["WTF_CSRF_ENABLED"] = False
        yield app


def test_a_disabled_account_is_not_let_in_by_a_lagging_replica(site):
    from market.accounts.models import User
    from market.projects.models import Project

    client = site.test_client()
    assert client.post("/login", data={"email": "owner@example.org", "password": PASSWORD}).status_code == 302
    with site.app_context():
        draft_id = db.session.scalar(select(Project.id))
        assert client.get(f"/projects/{draft_id}").status_code == 200  # the owner sees their draft
        # The account is disabled (or all its sessions ended) on the primary; the replica lags.
        owner = db.session.scalar(select(User))
        owner.is_disabled = True
        db.session.commit()
    client.delete_cookie("sre_fresh")  # a stolen session cookie comes without the "fresh" cookie
    assert client.get("/dashboard").status_code in (302, 401)  # the primary: no longer logged in
    # The replica-read page must refuse too: a draft is concealed from everyone but its owner's side.
    refused = client.get(f"/projects/{draft_id}")
    assert refused.status_code in (302, 404)  # to the log-in page, or concealed: never the draft itself
    assert refused.status_code == 404 or "/login" in refused.headers["Location"]
