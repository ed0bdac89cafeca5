from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.db import db
from market.funds import services
from market.funds.forms import PoolForm
from market.funds.models import FundingPool
from market.geo.services import category_choices, street_choices
from market.web.forms import handle_form, saved

bp = Blueprint("funds", __name__, url_prefix="/funds")


@bp.get("/")
def index():
    listing = services.parse_pool_listing(request.args)
    page = services.list_pools(listing)
    return render_template("funds/index.html", page=page, listing=listing, categories=category_choices(),
                           streets=street_choices(), sorts=services.POOL_SORTS)


@bp.get("/<int:pool_id>")
def detail(pool_id: int):
    pool = db.get_or_404(FundingPool, pool_id)
    editable = current_user.is_authenticated and services.can_manage(current_user, pool)
    return render_template("funds/detail.html", pool=pool, editable=editable)


def _build_form(pool: FundingPool | None = None) -> PoolForm:
    form = PoolForm(obj=pool)
    form.category_ids.choices = category_choices()
    form.street_ids.choices = street_choices()
    if pool is not None and request.method == "GET":
        form.total.set_cents(pool.total_cents)
        form.max_grant.set_cents(pool.max_grant_cents)
        form.category_ids.data = [c.id for c in pool.focus_categories]
        form.street_ids.data = [s.id for s in pool.streets]
    return form


def _input_from(form: PoolForm) -> services.PoolInput:
    return services.PoolInput(
        name=form.name.data.strip(), name_en=(form.name_en.data or "").strip(),
        description=form.description.data or "", description_en=form.description_en.data or "",
        year=form.year.data, total_cents=form.total.cents or 0, max_grant_cents=form.max_grant.cents or None,
        max_share_percent=form.max_share_percent.data, is_open=bool(form.is_open.data),
        category_ids=tuple(form.category_ids.data or ()), street_ids=tuple(form.street_ids.data or ()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if current_user.organization is None:
        abort(403)
    form = _build_form()
    return handle_form(form, "funds/form.html", lambda: services.create_pool(current_user, _input_from(form)),
                       lambda pool: saved(_("Funding pool created."), url_for("funds.detail", pool_id=pool.id)),
                       pool=None)


@bp.route("/<int:pool_id>/edit", methods=["GET", "POST"])
@login_required
def edit(pool_id: int):
    pool = db.get_or_404(FundingPool, pool_id)
    if not services.can_manage(current_user, pool):
        abort(403)
    form = _build_form(pool)
    return handle_form(form, "funds/form.html", lambda: services.update_pool(current_user, pool, _input_from(form)),
                       lambda _saved: saved(_("Funding pool saved."), url_for("funds.detail", pool_id=pool.id)),
                       pool=pool)
