from __future__ import annotations

from flask import Blueprint, render_template, request

from market.funds.services import list_pools
from market.orgs.services import list_orgs
from market.projects.services import list_projects
from market.ui.guard import public
from market.ui.listing import ListingArgs

bp = Blueprint("search", __name__)


@bp.get("/search")
@public
def index():
    """One box over projects, organisations and funds; each section links to its full listing."""
    q = (request.args.get("q") or "").strip()[:200]
    results = {}
    if q:
        listing = ListingArgs(q=q, per_page=8)
        results = {"projects": list_projects(listing), "orgs": list_orgs(listing), "pools": list_pools(listing)}
    return render_template("search/index.html", q=q, results=results)
