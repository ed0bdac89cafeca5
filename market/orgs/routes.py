from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template, request, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from market.core import policy
from market.core.db import db
from market.geo.services import category_choices, district_choices, street_choices
from market.orgs import services
from market.orgs.forms import OrgForm, VerificationForm
from market.orgs.models import DocumentKind, Organization, OrganizationDocument, OrgKind, VerificationState
from market.orgs.signals import profile_sections
from market.ui.forms import handle_form, saved
from market.ui.guard import guard, public
from market.ui.replica import replica_reads
from market.ui.sections import collect

bp = Blueprint("orgs", __name__, url_prefix="/organizations")


def document_dir() -> Path:
    return Path(current_app.instance_path) / "uploads" / "org-documents"


@bp.get("/")
@replica_reads
@public
def index():
    listing = services.parse_org_listing(request.args)
    page = services.list_orgs(listing)
    return render_template("orgs/index.html", page=page, listing=listing, categories=category_choices(),
                           streets=street_choices(), kinds=list(OrgKind), states=list(VerificationState),
                           sorts=services.ORG_SORTS)


@bp.get("/<int:org_id>")
@replica_reads
@public
def detail(org_id: int):
    org = db.get_or_404(Organization, org_id)
    return render_template("orgs/detail.html", org=org, editable=services.can_edit(current_user, org),
                           sections=collect(profile_sections, org, viewer=current_user),
                           verification_form=VerificationForm(),
                           may_verify=policy.can(current_user, "organization.verify", org))


def _build_form(org: Organization | None = None) -> OrgForm:
    form = OrgForm(obj=org)
    form.kind.choices = [(k.value, k.label) for k in services.kinds_for(current_user, org)]
    form.category_ids.choices = category_choices()
    form.home_street_id.choices = [("", "—")] + street_choices()
    form.district_id.choices = [("", "—")] + district_choices()
    form.service_street_ids.choices = street_choices()
    if org is not None and request.method == "GET":
        form.category_ids.data = [c.id for c in org.categories]
        form.service_street_ids.data = [s.id for s in org.service_streets]
    return form


def _input_from(form: OrgForm) -> services.OrgInput:
    return services.OrgInput(
        name=form.name.data.strip(), name_en=(form.name_en.data or "").strip(), kind=OrgKind(form.kind.data),
        credit_code=form.credit_code.data or "",
        registration_date=form.registration_date.data, full_time_staff=form.full_time_staff.data or 0,
        office_area_m2=form.office_area_m2.data or 0, rating_grade=form.rating_grade.data or 0,
        capability=form.capability.data or "", capability_en=form.capability_en.data or "",
        capacity=form.capacity.data if form.capacity.data is not None else 1,
        home_street_id=form.home_street_id.data, serves_whole_district=bool(form.serves_whole_district.data),
        contact_email=form.contact_email.data or "", contact_phone=form.contact_phone.data or "",
        category_ids=tuple(form.category_ids.data or ()), service_street_ids=tuple(form.service_street_ids.data or ()),
        supplies=tuple(form.supplies.data or ()), qualifications=tuple(form.qualifications.data or ()),
        district_id=form.district_id.data)


def _uploads(form: OrgForm) -> list[services.DocumentUpload]:
    kind = DocumentKind(form.document_kind.data or DocumentKind.OTHER.value)
    uploads = []
    for storage in form.documents.data or []:
        if getattr(storage, "filename", ""):
            try:
                uploads.append(services.DocumentUpload(kind, storage.filename,
                                                       storage.read(services.MAX_DOCUMENT_BYTES + 1)))
            finally:
                storage.close()  # large uploads are spooled to a temporary file: close it now
    return uploads


def _save(org: Organization | None, form: OrgForm) -> Organization:
    if org is None:
        return services.create_org(current_user, _input_from(form), documents=_uploads(form),
                                   upload_dir=document_dir())
    services.update_org(current_user, org, _input_from(form))
    services.add_documents(current_user, org, _uploads(form), document_dir())
    return org


@bp.route("/new", methods=["GET", "POST"])
@guard("organization.create")
def create():
    form = _build_form()
    return handle_form(form, "orgs/form.html", lambda: _save(None, form),
                       lambda org: saved(_("Organisation created. An official will verify it."),
                                         url_for("orgs.detail", org_id=org.id)), org=None)


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@guard("organization.edit", Organization, "org_id")
def edit(org: Organization):
    form = _build_form(org)

    def done(saved_org: Organization):
        if saved_org.verification_state == VerificationState.PENDING and saved_org.verified_facts is not None:
            return saved(_("Saved. The changed facts wait for an official; until then your verified facts "
                           "count for bids and matching."), url_for("orgs.detail", org_id=org.id))
        return saved(_("Organisation saved."), url_for("orgs.detail", org_id=org.id))

    return handle_form(form, "orgs/form.html", lambda: _save(org, form), done, org=org)


@bp.get("/documents/<int:document_id>")
@guard("organization.edit", OrganizationDocument, "document_id")
def document(document: OrganizationDocument):
    return _send(document)


@bp.get("/documents/<int:document_id>/review")
@guard("organization.verify", OrganizationDocument, "document_id")
def review_document(document: OrganizationDocument):
    return _send(document)


def _send(document: OrganizationDocument):
    return send_from_directory(document_dir(), document.stored_name, mimetype=document.content_type,
                               as_attachment=True, download_name=document.filename)


@bp.get("/verification")
@guard("organization.review")
def verification_queue():
    orgs = db.session.scalars(services.verification_queue(current_user).limit(200)).all()
    locale = str(get_locale() or "zh")
    return render_template("orgs/verification.html", orgs=orgs, facts={o.id: services.fact_rows(o, locale) for o in orgs},
                           form=VerificationForm())


@bp.post("/<int:org_id>/verification")
@guard("organization.verify", Organization, "org_id")
def verify(org: Organization):
    form = VerificationForm()

    def decide(org: Organization = org) -> Organization:
        if form.decision.data == "approve":
            return services.verify(current_user, org, facts_seen=form.facts_seen.data or "")
        return services.refuse(current_user, org, form.reason.data or "")

    def done(decided: Organization):
        message = (_("Organisation verified.") if decided.verification_state == VerificationState.VERIFIED
                   else _("Verification refused; the organisation is told why."))
        return saved(message, url_for("orgs.verification_queue"))

    return handle_form(form, "orgs/decide.html", decide, done, org=org,
                       facts=services.fact_rows(org, str(get_locale() or "zh")))
