"""The JSON API: envelope, filters, errors, and conformance to its own OpenAPI document."""
from __future__ import annotations

import jsonschema
import pytest

from market.orgs.models import OrgKind


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def _validate(spec, name, instance):
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_collections_conform_to_the_spec(client, spec, make_project, make_org, make_pool, geo):
    make_project(community=geo.communities[0])
    make_org(OrgKind.ENTERPRISE)
    make_pool(focus=("elderly_care",))
    for path, name in (("/projects", "ProjectPage"), ("/organizations", "OrganizationPage"), ("/funds", "FundPage")):
        body = client.get(f"/api/v1{path}").get_json()
        assert body["total"] >= 1 and body["page"] == 1
        _validate(spec, name, body)
        item = body["items"][0]
        one = client.get(f"/api/v1{path}/{item['id']}")
        assert one.status_code == 200
        _validate(spec, name.removesuffix("Page"), one.get_json())


def test_every_documented_path_answers(client, spec):
    for path in spec["paths"]:
        url = "/api/v1" + path.replace("{id}", "999999")
        response = client.get(url)
        assert response.status_code in (200, 404), url
        if response.status_code == 404:
            _validate(spec, "Error", response.get_json())


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("per_page=1000", "per_page"), ("budget_min=abc", "budget_min"),
    ("status=bogus", "status"), ("sort=sideways", "sort"), ("type=spaceship", "type"),
])
def test_bad_parameters_get_400_naming_the_field(client, spec, query, field):
    response = client.get(f"/api/v1/projects?{query}")
    assert response.status_code == 400
    body = response.get_json()
    _validate(spec, "Error", body)
    assert field in body["error"]["fields"]


def test_unknown_item_is_404_json(client):
    response = client.get("/api/v1/organizations/424242")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_pool_filters_treat_empty_focus_as_any(client, make_pool, category):
    focused = make_pool(focus=("youth",))
    general = make_pool()
    ids = {item["id"] for item in client.get(f"/api/v1/funds?category_id={category('youth').id}").get_json()["items"]}
    assert ids == {focused.id, general.id}
    ids = {item["id"] for item in client.get(f"/api/v1/funds?category_id={category('health').id}").get_json()["items"]}
    assert ids == {general.id}
