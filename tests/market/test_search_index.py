"""The n-gram search index: typo tolerance, filters, and staying current as rows change."""
from __future__ import annotations

from market.search.index import grams
from market.search.services import normalise


def test_grams_are_chinese_bigrams_and_padded_english_trigrams():
    assert grams(normalise("养老服务")) == {"养老", "老服", "服务"}
    assert grams("care") == {" ca", "car", "are", "re "}


def test_index_follows_inserts_and_edits(client, make_project):
    first = make_project(title="梅林社区书法班", title_en="Calligraphy class in Meilin")
    assert [i["id"] for i in client.get("/api/v1/projects?q=书法").get_json()["items"]] == [first.id]
    second = make_project(title="景田社区书法班", title_en="Calligraphy class in Jingtian")
    ids = {i["id"] for i in client.get("/api/v1/projects?q=书法").get_json()["items"]}
    assert ids == {first.id, second.id}
    from market.core.db import db

    second.title, second.title_en = "景田社区象棋班", "Chess club in Jingtian"
    db.session.commit()
    assert [i["id"] for i in client.get("/api/v1/projects?q=书法").get_json()["items"]] == [first.id]
    assert [i["id"] for i in client.get("/api/v1/projects?q=chess").get_json()["items"]] == [second.id]


def test_search_respects_filters(client, make_project, geo):
    make_project(title="福田街道心理咨询", street=geo.streets[0], category_code="mental_health")
    other = make_project(title="莲花街道心理咨询", street=geo.streets[1], category_code="mental_health")
    found = client.get(f"/api/v1/projects?q=心理咨询&street_id={geo.streets[1].id}").get_json()
    assert [i["id"] for i in found["items"]] == [other.id] and found["total"] == 1


def test_requests_leave_the_freshness_check_to_a_background_thread(client, make_project, monkeypatch):
    """Once built, the index is checked against the database off the request's thread."""
    import threading
    import time

    from market.search import index

    first = make_project(title="梅林社区书法班")
    assert [i["id"] for i in client.get("/api/v1/projects?q=书法").get_json()["items"]] == [first.id]
    monkeypatch.setattr(index, "FRESH_SECONDS", 0.01)
    checked_on: list[str] = []
    real_stamp = index.TextIndex._current_stamp

    def stamp(self, session):
        checked_on.append(threading.current_thread().name)
        return real_stamp(self, session)

    monkeypatch.setattr(index.TextIndex, "_current_stamp", stamp)
    second = make_project(title="景田社区书法班")
    time.sleep(0.02)
    found: set[int] = set()
    for _ in range(200):  # the first answers may come from the index as it was
        found = {i["id"] for i in client.get("/api/v1/projects?q=书法").get_json()["items"]}
        if second.id in found:
            break
        time.sleep(0.02)
    assert found == {first.id, second.id}
    assert checked_on and all(name.startswith("search-index-") for name in checked_on)


def test_warming_builds_the_indexes_before_any_search(app, make_project):
    from market.search import index
    from market.web.warm import warm_search_indexes

    make_project(title="梅林社区书法班")
    index._indexes.clear()
    warm_search_indexes(app)
    built = {key[1]: found for key, found in index._indexes.items()}
    assert set(built) == {"projects", "organizations", "funding_pools"}
    assert len(built["projects"].ids) == 1 and built["projects"].matrix is not None


def test_warming_survives_a_database_that_is_away(app, monkeypatch, caplog):
    from market.search import index
    from market.web.warm import warm_search_indexes

    def unreachable(self, session):
        raise ConnectionError("database away")

    monkeypatch.setattr(index.TextIndex, "refresh", unreachable)
    warm_search_indexes(app)  # does not raise: the worker starts and serves 503 pages meanwhile
    assert "search indexes not built at start" in caplog.text


def test_an_edit_stamped_by_a_lagging_clock_is_still_found(client, make_project):
    """Edits are found by each row's update time, not by the newest one: another machine's clock may lag."""
    from datetime import timedelta

    from sqlalchemy import update

    from market.core.db import db, utcnow
    from market.projects.models import Project

    ahead = make_project(title="梅林社区书法班")
    behind = make_project(title="景田社区书法班")
    db.session.execute(update(Project).where(Project.id == ahead.id).values(updated_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    assert {i["id"] for i in client.get("/api/v1/projects?q=书法").get_json()["items"]} == {ahead.id, behind.id}
    db.session.execute(update(Project).where(Project.id == behind.id).values(
        title="景田社区象棋班", updated_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert [i["id"] for i in client.get("/api/v1/projects?q=象棋").get_json()["items"]] == [behind.id]
    assert [i["id"] for i in client.get("/api/v1/projects?q=书法").get_json()["items"]] == [ahead.id]
