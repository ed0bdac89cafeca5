from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from market.api.openapi import openapi_document
from market.api.serializers import org_dict, pool_dict, project_dict
from market.core.db import db
from market.funds.models import FundingPool
from market.funds.services import list_pools, parse_pool_listing
from market.orgs.models import Organization
from market.orgs.services import list_orgs, parse_org_listing
from market.projects.models import Project
from market.projects.services import can_view, list_projects, parse_project_listing
from market.ui.guard import public
from market.ui.listing import Page
from market.ui.replica import replica_reads

bp = Blueprint("api", __name__)


def _envelope(page: Page, to_dict) -> dict:
    return {"items": [to_dict(item) for item in page.items], "total": page.total, "page": page.page,
            "per_page": page.per_page}


@bp.get("/projects")
@replica_reads
@public
def projects():
    return jsonify(_envelope(list_projects(parse_project_listing(request.args)), project_dict))


@bp.get("/projects/<int:project_id>")
@replica_reads
@public
def project(project_id: int):
    found = db.get_or_404(Project, project_id)
    if not can_view(current_user, found):
        abort(404)
    return jsonify(project_dict(found))


@bp.get("/organizations")
@replica_reads
@public
def organizations():
    return jsonify(_envelope(list_orgs(parse_org_listing(request.args)), org_dict))


@bp.get("/organizations/<int:org_id>")
@replica_reads
@public
def organization(org_id: int):
    return jsonify(org_dict(db.get_or_404(Organization, org_id)))


@bp.get("/funds")
@replica_reads
@public
def funds():
    return jsonify(_envelope(list_pools(parse_pool_listing(request.args)), pool_dict))


@bp.get("/funds/<int:pool_id>")
@replica_reads
@public
def fund(pool_id: int):
    return jsonify(pool_dict(db.get_or_404(FundingPool, pool_id)))


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(openapi_document())
