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
    from market.db import db

    second.title, second.title_en = "景田社区象棋班", "Chess club in Jingtian"
    db.session.commit()
    assert [i["id"] for i in client.get("/api/v1/projects?q=书法").get_json()["items"]] == [first.id]
    assert [i["id"] for i in client.get("/api/v1/projects?q=chess").get_json()["items"]] == [second.id]


def test_search_respects_filters(client, make_project, geo):
    make_project(title="福田街道心理咨询", street=geo.streets[0], category_code="mental_health")
    other = make_project(title="莲花街道心理咨询", street=geo.streets[1], category_code="mental_health")
    found = client.get(f"/api/v1/projects?q=心理咨询&street_id={geo.streets[1].id}").get_json()
    assert [i["id"] for i in found["items"]] == [other.id] and found["total"] == 1
