from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from market.accounts.permissions import official_required
from market.db import db
from market.funds.models import FundingPool
from market.geo.services import category_choices, street_choices
from market.micro.services.evaluation import provider_reputation
from market.orgs import services
from market.orgs.forms import OrgForm
from market.orgs.models import Organization, OrgKind, VerificationState
from market.projects.models import Project, ProjectStatus
from market.web.formatting import enum_label
from market.web.forms import handle_form, saved

bp = Blueprint("orgs", __name__, url_prefix="/organizations")


@bp.get("/")
def index():
    listing = services.parse_org_listing(request.args)
    page = services.list_orgs(listing)
    return render_template("orgs/index.html", page=page, listing=listing, categories=category_choices(),
                           streets=street_choices(), kinds=list(OrgKind), states=list(VerificationState),
                           sorts=services.ORG_SORTS)


@bp.get("/<int:org_id>")
def detail(org_id: int):
    org = db.get_or_404(Organization, org_id)
    projects = db.session.scalars(select(Project).where(Project.organization_id == org.id,
                                                        Project.status != ProjectStatus.DRAFT)
                                  .order_by(Project.created_at.desc()).limit(20)).all()
    pools = db.session.scalars(select(FundingPool).where(FundingPool.funder_id == org.id)).all()
    editable = current_user.is_authenticated and services.can_edit(current_user, org)
    return render_template("orgs/detail.html", org=org, projects=projects, pools=pools, editable=editable,
                           reputation=provider_reputation(org.id))


def _build_form(org: Organization | None = None) -> OrgForm:
    form = OrgForm(obj=org)
    kinds = services.KINDS_BY_ROLE.get(current_user.role, ())
    form.kind.choices = [(k.value, enum_label(k)) for k in kinds]
    form.category_ids.choices = category_choices()
    form.home_street_id.choices = [("", "—")] + street_choices()
    form.service_street_ids.choices = street_choices()
    if org is not None and request.method == "GET":
        form.category_ids.data = [c.id for c in org.categories]
        form.service_street_ids.data = [s.id for s in org.service_streets]
    return form


def _input_from(form: OrgForm) -> services.OrgInput:
    return services.OrgInput(
        name=form.name.data.strip(), name_en=(form.name_en.data or "").strip(), kind=OrgKind(form.kind.data),
        registration_date=form.registration_date.data, full_time_staff=form.full_time_staff.data or 0,
        office_area_m2=form.office_area_m2.data or 0, rating_grade=form.rating_grade.data or 0,
        capability=form.capability.data or "", capability_en=form.capability_en.data or "",
        capacity=form.capacity.data if form.capacity.data is not None else 1,
        home_street_id=form.home_street_id.data, serves_whole_district=bool(form.serves_whole_district.data),
        contact_email=form.contact_email.data or "", contact_phone=form.contact_phone.data or "",
        category_ids=tuple(form.category_ids.data or ()), service_street_ids=tuple(form.service_street_ids.data or ()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not services.KINDS_BY_ROLE.get(current_user.role):
        abort(403)
    form = _build_form()
    return handle_form(form, "orgs/form.html", lambda: services.create_org(current_user, _input_from(form)),
                       lambda org: saved(_("Organisation created. An official will verify it."),
                                         url_for("orgs.detail", org_id=org.id)), org=None)


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int):
    org = db.get_or_404(Organization, org_id)
    if not services.can_edit(current_user, org):
        abort(403)
    form = _build_form(org)
    if not any(choice.value == org.kind for choice in form.kind.choices):
        form.kind.choices = [*form.kind.choices, (org.kind, enum_label(org.kind))]
    return handle_form(form, "orgs/form.html", lambda: services.update_org(current_user, org, _input_from(form)),
                       lambda _saved: saved(_("Organisation saved."), url_for("orgs.detail", org_id=org.id)), org=org)


@bp.get("/verification")
@official_required
def verification_queue():
    orgs = db.session.scalars(select(Organization).where(Organization.verification_state == VerificationState.PENDING)
                              .order_by(Organization.created_at).limit(200)).all()
    return render_template("orgs/verification.html", orgs=orgs)


@bp.post("/<int:org_id>/verification")
@official_required
def verify(org_id: int):
    org = db.get_or_404(Organization, org_id)
    approve = request.form.get("decision") == "approve"
    services.set_verification(current_user, org, approve)
    db.session.commit()
    flash(_("Organisation verified.") if approve else _("Verification refused."), "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("orgs.verification_queue"))
