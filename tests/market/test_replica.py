"""Read-heavy public pages read from the read replica; writes, locking reads and a client's reads just
after its own write go to the primary. The "replica" here is a stale copy of the primary's file, so a
page shows which database it read."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from market.core.db import REPLICA, RoutingSession, db
from tests.market.replica_helpers import stale_replica_site


@pytest.fixture
def _request_context():
    """These tests build their own app (two databases), not the suite's."""
    yield


@pytest.fixture
def site(tmp_path):
    from market.projects.models import Project, ProjectKind

    with stale_replica_site(tmp_path, lambda: _project(Project, ProjectKind, "复制前的项目")) as app:
        with app.app_context():
            _project(Project, ProjectKind, "复制后的新项目")
            db.session.commit()
        yield app


def _project(Project, ProjectKind, title):
    from market.accounts.models import Role, User
    from market.geo.models import Category

    owner = db.session.scalar(select(User)) or User(email="owner@example.org", display_name="Owner",
                                                    role=Role.OFFICIAL, password_hash="x")
    db.session.add(owner)
    db.session.flush()
    db.session.add(Project(kind=ProjectKind.PUBLIC_BENEFIT, title=title, category_id=db.session.scalar(
        select(Category.id)), project_type="service", budget_cents=1_000_000, owner_id=owner.id, status="open"))


def test_public_listings_read_the_replica_until_the_client_writes(site):
    client = site.test_client()
    page = client.get("/projects/").get_data(as_text=True)
    assert "复制前的项目" in page and "复制后的新项目" not in page  # read from the (stale) replica
    client.set_cookie("sre_fresh", "1")  # this client wrote a moment ago
    assert "复制后的新项目" in client.get("/projects/").get_data(as_text=True)


def test_a_successful_write_keeps_the_client_on_the_primary_for_a_while(site):
    site.config["WTF_CSRF_ENABLED"] = False
    site.add_url_rule("/written", "written", lambda: "saved", methods=["POST"])
    site.add_url_rule("/refused", "refused", lambda: ("no", 400), methods=["POST"])
    client = site.test_client()
    cookie = client.post("/written").headers.get("Set-Cookie", "")
    assert "sre_fresh=1" in cookie and "Max-Age=10" in cookie and "HttpOnly" in cookie
    assert "sre_fresh" not in client.post("/refused").headers.get("Set-Cookie", "")  # nothing was written
    assert "sre_fresh" not in client.get("/projects/").headers.get("Set-Cookie", "")


def test_other_pages_writes_and_locking_reads_use_the_primary(site):
    from market.projects.models import Project

    with site.test_request_context():
        titles = set(db.session.scalars(select(Project.title)))
        assert "复制后的新项目" in titles  # no replica asked for: the primary
        db.session.info["replica"] = True
        assert "复制后的新项目" not in set(db.session.scalars(select(Project.title)))
        locked = set(db.session.scalars(select(Project.title).with_for_update()))
        assert "复制后的新项目" in locked  # a locking read is never sent to a replica
        project = db.session.scalar(select(Project).with_for_update().limit(1))
        project.title_en = "edited"
        db.session.flush()  # once this session wrote, everything it reads comes from the primary
        assert "复制后的新项目" in set(db.session.scalars(select(Project.title)))
        db.session.rollback()


def test_without_a_replica_nothing_changes(app):
    assert REPLICA not in app.extensions
    assert isinstance(db.session(), RoutingSession)
