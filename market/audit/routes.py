from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from market.accounts.permissions import official_required
from market.audit.models import AuditEvent
from market.audit.services import verify_chain
from market.web.listing import ListingArgs, run_listing

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@official_required
def index():
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    listing = ListingArgs(page=page_number, per_page=50)
    page = run_listing(AuditEvent, select(AuditEvent), listing, order_by=(AuditEvent.id.desc(),), text_columns=())
    return render_template("audit/index.html", page=page, report=verify_chain() if request.args.get("verify") else None)
