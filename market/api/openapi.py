"""The OpenAPI 3.1 description of /api/v1 (its schemas are plain JSON Schema, so tests
validate real answers against them)."""
from __future__ import annotations

from typing import Any

from market.funds.services import POOL_SORTS
from market.geo.models import ProjectType
from market.orgs.models import OrgKind, VerificationState
from market.orgs.services import ORG_SORTS
from market.projects.models import ProjectKind, ProjectStatus
from market.projects.services import PROJECT_SORTS, PUBLIC_STATUSES
from market.ui.listing import MAX_INT_ARG, MAX_PER_PAGE
from market.ui.security import MAX_ID


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
NAMED_REF = {"type": "object", "required": ["id", "name", "name_en"],
             "properties": {"id": INTEGER, "name": STRING, "name_en": STRING}}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": sorted(properties), "properties": properties, "additionalProperties": False}


SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _object({"code": STRING, "message": STRING,
                                         "fields": {"type": "object", "additionalProperties": {
                                             "type": "array", "items": STRING}}})}),
    "NamedRef": NAMED_REF,
    "Project": _object({
        "id": INTEGER, "kind": {"enum": [k.value for k in ProjectKind]}, "title": STRING, "title_en": STRING,
        "description": STRING, "description_en": STRING,
        "category": {"type": "object", "required": ["id", "code", "name", "name_en"],
                     "properties": {"id": INTEGER, "code": STRING, "name": STRING, "name_en": STRING}},
        "project_type": {"enum": [t.value for t in ProjectType]},
        "street": _nullable({"$ref": "#/components/schemas/NamedRef"}),
        "community": _nullable({"$ref": "#/components/schemas/NamedRef"}),
        "budget_cents": {"type": "integer", "minimum": 1, "description": "Integer minor units (fen)."},
        "funded_cents": {"type": "integer", "minimum": 0},
        "status": {"enum": [s.value for s in ProjectStatus]},
        "start_date": _nullable(DATE), "end_date": _nullable(DATE),
        "bid_deadline": _nullable(DATETIME), "published_at": _nullable(DATETIME),
        "organization": _nullable({"$ref": "#/components/schemas/NamedRef"}),
        "eligibility": _object({"min_rating_grade": INTEGER, "min_years_registered": INTEGER,
                                "min_staff": INTEGER, "min_office_area_m2": INTEGER}),
    }),
    "Organization": _object({
        "id": INTEGER, "name": STRING, "name_en": STRING, "kind": {"enum": [k.value for k in OrgKind]},
        "registration_date": _nullable(DATE), "full_time_staff": INTEGER, "office_area_m2": INTEGER,
        "rating_grade": {"type": "integer", "minimum": 0, "maximum": 5}, "capability": STRING,
        "capability_en": STRING, "capacity": INTEGER,
        "verification_state": {"enum": [v.value for v in VerificationState]},
        "serves_whole_district": {"type": "boolean"}, "categories": {"type": "array", "items": STRING},
        "service_streets": {"type": "array", "items": {"$ref": "#/components/schemas/NamedRef"}},
    }),
    "Fund": _object({
        "id": INTEGER, "name": STRING, "name_en": STRING, "description": STRING, "description_en": STRING,
        "funder": {"$ref": "#/components/schemas/NamedRef"}, "year": _nullable(INTEGER),
        "declared_cents": {"type": "integer", "minimum": 0,
                           "description": "What the funder intends to put in (not money yet)."},
        "received_cents": {"type": "integer", "minimum": 0, "description": "Money that arrived, less refunds."},
        "remaining_cents": {"type": "integer", "minimum": 0, "description": "Received money not yet allocated."},
        "max_grant_cents": _nullable(INTEGER), "max_share_percent": {"type": "integer", "minimum": 1, "maximum": 100},
        "is_open": {"type": "boolean"}, "focus_categories": {"type": "array", "items": STRING},
        "streets": {"type": "array", "items": {"$ref": "#/components/schemas/NamedRef"}},
    }),
}
for _name in ("Project", "Organization", "Fund"):
    SCHEMAS[f"{_name}Page"] = _object({
        "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{_name}"}},
        "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    })

# Open data (market.opendata): only what every answer is sure to have; the standards' own
# schemas (OCDS 1.1, 360Giving 1.4) describe the rest.
_ORG_NAME = {"type": "object", "required": ["id", "name"], "properties": {"id": STRING, "name": STRING}}
SCHEMAS.update({
    "OcdsRelease": {"type": "object", "required": ["ocid", "id", "date", "tag", "initiationType"], "properties": {
        "ocid": {"type": "string", "pattern": "^ocds-"}, "id": STRING, "date": DATETIME,
        "tag": {"type": "array", "minItems": 1, "items": STRING}, "initiationType": {"const": "tender"},
        "parties": {"type": "array", "items": {**_ORG_NAME, "required": ["id", "name", "roles"]}},
    }},
    "OcdsReleasePackage": {
        "type": "object", "required": ["uri", "version", "publishedDate", "publisher", "releases"],
        "description": "An OCDS 1.1 release package: one page of projects with all their releases.",
        "properties": {
            "uri": STRING, "version": {"const": "1.1"}, "publishedDate": DATETIME,
            "publisher": {"type": "object", "required": ["name"], "properties": {"name": STRING}},
            "extensions": {"type": "array", "items": STRING},
            "releases": {"type": "array", "items": {"$ref": "#/components/schemas/OcdsRelease"}},
        }},
    "Grant": {"type": "object", "required": ["id", "title", "description", "currency", "amountAwarded", "awardDate",
                                             "recipientOrganization", "fundingOrganization"], "properties": {
        "id": {"type": "string", "pattern": "^360G-"}, "title": STRING, "description": STRING,
        "currency": {"type": "string", "minLength": 3, "maxLength": 3},
        "amountAwarded": {"type": "number", "minimum": 0, "description": "Yuan (major units)."},
        "amountDisbursed": {"type": "number", "minimum": 0}, "awardDate": DATETIME,
        "recipientOrganization": {"type": "array", "minItems": 1, "items": _ORG_NAME},
        "fundingOrganization": {"type": "array", "minItems": 1, "items": _ORG_NAME},
    }},
    "GrantPackage": {
        "type": "object", "required": ["grants"], "description": "A 360Giving 1.4 data package: one page of grants.",
        "properties": {"grants": {"type": "array", "items": {"$ref": "#/components/schemas/Grant"}},
                       "version": STRING}},
})


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


COMMON_PARAMS = [
    _param("q", {"type": "string", "maxLength": 200}, "Search text, Chinese or English; typos tolerated. "
                                                      "Results are then ordered by relevance unless sort is given."),
    _param("page", {"type": "integer", "minimum": 1, "maximum": MAX_INT_ARG}, "Page number, from 1."),
    _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Items per page."),
]
ID_FILTER = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
AMOUNT_FILTER = {"type": "integer", "minimum": 0, "maximum": MAX_INT_ARG}
PROJECT_PARAMS = COMMON_PARAMS + [
    _param("category_id", ID_FILTER, "Category id."),
    _param("street_id", ID_FILTER, "Street id."),
    _param("community_id", ID_FILTER, "Community id."),
    _param("budget_min", AMOUNT_FILTER, "Minimum budget in yuan."),
    _param("budget_max", AMOUNT_FILTER, "Maximum budget in yuan."),
    _param("type", {"enum": [t.value for t in ProjectType]}, "Service, goods or works."),
    _param("kind", {"enum": [k.value for k in ProjectKind]}, "Project kind."),
    _param("status", {"enum": [s.value for s in PUBLIC_STATUSES]}, "Status."),
    _param("sort", {"enum": list(PROJECT_SORTS)}, "Sort order (ignored when q is given)."),
]
ORG_PARAMS = COMMON_PARAMS + [
    _param("category_id", ID_FILTER, "Service category id."),
    _param("street_id", ID_FILTER, "Serves this street."),
    _param("min_rating", ID_FILTER, "Minimum rating grade (1–5 for 1A–5A)."),
    _param("kind", {"enum": [k.value for k in OrgKind]}, "Organisation kind."),
    _param("verification", {"enum": [v.value for v in VerificationState]}, "Verification state."),
    _param("sort", {"enum": list(ORG_SORTS)}, "Sort order (ignored when q is given)."),
]
FUND_PARAMS = COMMON_PARAMS + [
    _param("category_id", ID_FILTER, "Funds this category (pools without focus fund all)."),
    _param("street_id", ID_FILTER, "Funds this street (pools without streets fund all)."),
    _param("funder_id", ID_FILTER, "Funder organisation id."),
    _param("min_remaining", AMOUNT_FILTER, "Minimum remaining budget in yuan."),
    _param("open", {"enum": ["1", "0"]}, "Open (1) or closed (0) pools."),
    _param("sort", {"enum": list(POOL_SORTS)}, "Sort order (ignored when q is given)."),
]


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


ERRORS = {"400": _json("Error", "Invalid parameters; `fields` names each."),
          "404": _json("Error", "Not found.")}


def _collection(tag: str, schema: str, params: list, summary: str) -> dict[str, Any]:
    return {"get": {"tags": [tag], "summary": summary, "parameters": params,
                    "responses": {"200": _json(f"{schema}Page", "A page of results."), "400": ERRORS["400"]}}}


def _item(tag: str, schema: str, summary: str) -> dict[str, Any]:
    return {"get": {"tags": [tag], "summary": summary,
                    "parameters": [{"name": "id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}],
                    "responses": {"200": _json(schema, "The item."), "404": ERRORS["404"]}}}


LINK_HEADER = {"Link": {"description": 'The next and previous pages (RFC 8288): `<url>; rel="next"`, '
                                        '`<url>; rel="prev"`.', "schema": STRING}}


def _export(schema: str, summary: str, description: str) -> dict[str, Any]:
    return {"get": {"tags": ["open data"], "summary": summary, "description": description,
                    "parameters": COMMON_PARAMS[1:],
                    "responses": {"200": {**_json(schema, "One page of the export."), "headers": LINK_HEADER},
                                  "400": ERRORS["400"]}}}


def _csv(summary: str) -> dict[str, Any]:
    return {"get": {"tags": ["open data"], "summary": summary,
                    "description": "The whole export flattened, one row per item; UTF-8 with a byte-order mark.",
                    "responses": {"200": {"description": "A CSV file.",
                                          "content": {"text/csv": {"schema": {"type": "string"}}}}}}}


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document, generated from the same enums the code uses."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Social Resource Exchange API", "version": "1.0.0",
                 "description": "Public projects, organisations and funding pools. Money in integer minor units."},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/projects": _collection("projects", "Project", PROJECT_PARAMS, "List public projects"),
            "/projects/{id}": _item("projects", "Project", "One project"),
            "/organizations": _collection("organizations", "Organization", ORG_PARAMS, "List organisations"),
            "/organizations/{id}": _item("organizations", "Organization", "One organisation"),
            "/funds": _collection("funds", "Fund", FUND_PARAMS, "List funding pools"),
            "/funds/{id}": _item("funds", "Fund", "One funding pool"),
            "/ocds/releases.json": _export("OcdsReleasePackage", "OCDS releases of government-purchased services",
                                           "Paged by project; bids appear only once opened. Amounts in yuan."),
            "/ocds/releases.csv": _csv("OCDS releases as CSV"),
            "/ocds/extension/{filename}": {"get": {
                "tags": ["open data"], "summary": "The marketplace's OCDS extension (milestone value)",
                "parameters": [{"name": "filename", "in": "path", "required": True,
                                "schema": {"enum": ["extension.json", "release-schema.json"]}}],
                "responses": {"200": {"description": "The extension's metadata or its release schema patch.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              "404": ERRORS["404"]}}},
            "/360giving/grants.json": _export("GrantPackage", "360Giving grants from funding pools",
                                              "Paid or firmly committed pool money. Amounts in yuan."),
            "/360giving/grants.csv": _csv("360Giving grants as CSV"),
        },
        "components": {"schemas": SCHEMAS},
    }
