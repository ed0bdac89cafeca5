from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.core.db import db
from market.funds import services
from market.funds.forms import PoolForm
from market.funds.models import FundingPool
from market.geo.services import category_choices, street_choices
from market.orgs.models import Organization
from market.orgs.signals import profile_sections
from market.ui.forms import handle_form, saved
from market.ui.guard import guard, public
from market.ui.replica import replica_reads
from market.ui.sections import Section

bp = Blueprint("funds", __name__, url_prefix="/funds")


@profile_sections.connect
def _funder_pools(org: Organization, **_kwargs) -> Section | None:
    pools = db.session.scalars(select(FundingPool).where(FundingPool.funder_id == org.id)
                               .order_by(FundingPool.id)).all()
    return Section("funds/_org_pools.html", {"pools": pools}, order=20) if pools else None


@bp.get("/")
@replica_reads
@public
def index():
    listing = services.parse_pool_listing(request.args)
    page = services.list_pools(listing)
    return render_template("funds/index.html", page=page, listing=listing, categories=category_choices(),
                           streets=street_choices(), sorts=services.POOL_SORTS)


@bp.get("/<int:pool_id>")
@replica_reads
@public
def detail(pool_id: int):
    pool = db.get_or_404(FundingPool, pool_id)
    lines = services.allocation_lines(pool)
    return render_template("funds/detail.html", pool=pool, editable=services.can_manage(current_user, pool),
                           lines=lines, summary=services.summarise(lines))


def _build_form(pool: FundingPool | None = None) -> PoolForm:
    form = PoolForm(obj=pool)
    form.category_ids.choices = category_choices()
    form.street_ids.choices = street_choices()
    if pool is not None and request.method == "GET":
        form.total.set_cents(pool.declared_cents)
        form.max_grant.set_cents(pool.max_grant_cents)
        form.category_ids.data = [c.id for c in pool.focus_categories]
        form.street_ids.data = [s.id for s in pool.streets]
    return form


def _input_from(form: PoolForm) -> services.PoolInput:
    return services.PoolInput(
        name=form.name.data.strip(), name_en=(form.name_en.data or "").strip(),
        description=form.description.data or "", description_en=form.description_en.data or "",
        year=form.year.data, declared_cents=form.total.cents or 0, max_grant_cents=form.max_grant.cents,
        max_share_percent=form.max_share_percent.data, is_open=bool(form.is_open.data),
        category_ids=tuple(form.category_ids.data or ()), street_ids=tuple(form.street_ids.data or ()))


@bp.route("/new", methods=["GET", "POST"])
@guard("pool.create")
def create():
    form = _build_form()
    return handle_form(form, "funds/form.html", lambda: services.create_pool(current_user, _input_from(form)),
                       lambda pool: saved(_("Funding pool created. It holds money once the money arrives."),
                                          url_for("funds.detail", pool_id=pool.id)),
                       pool=None)


@bp.route("/<int:pool_id>/edit", methods=["GET", "POST"])
@guard("pool.manage", FundingPool, "pool_id")
def edit(pool: FundingPool):
    form = _build_form(pool)
    return handle_form(form, "funds/form.html", lambda: services.update_pool(current_user, pool, _input_from(form)),
                       lambda _saved: saved(_("Funding pool saved."), url_for("funds.detail", pool_id=pool.id)),
                       pool=pool)
