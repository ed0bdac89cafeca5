"""Pages for publishing a tender and for sealed bidding. Thin: rules live in services."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.bids import procurement, services
from market.bids.forms import (
    AnswerForm,
    AttachmentForm,
    BidForm,
    ClarificationForm,
    DepartmentCodeForm,
    DocumentForm,
    QuestionForm,
    RepublishForm,
    SettingsForm,
    TenderForm,
)
from market.bids.models import Bid, BidAttachment, Clarification, ProcurementMethod, Tender, TenderDocument
from market.core import policy
from market.core.calendar import BEIJING, local_to_utc
from market.core.db import db, utcnow
from market.core.errors import Conflict, DomainError
from market.geo.models import District
from market.geo.services import category_choices
from market.orgs.models import Organization, OrgKind
from market.projects.models import Project
from market.ui.export import stored_file
from market.ui.formatting import datetime_label, money
from market.ui.forms import apply_field_errors, handle_form, saved
from market.ui.guard import guard

bp = Blueprint("bids", __name__, url_prefix="/bids")


def _uploads(files, limit: int = services.MAX_ATTACHMENT_BYTES) -> list[services.Upload]:
    uploads = []
    for storage in files or []:
        if storage is None or not getattr(storage, "filename", ""):
            continue
        uploads.append(services.Upload(storage.filename, storage.stream.read(limit + 1)))
    return uploads


@bp.app_template_filter("isotime")
def isotime(value: str | None) -> str:
    """An ISO timestamp kept in a record (such as an opening record's entries), as Beijing time."""
    if not value:
        return ""
    try:
        return datetime_label(datetime.fromisoformat(value))
    except ValueError:
        return value


@bp.app_template_global("my_recent_bids")
def my_recent_bids(limit: int = 10) -> list[Bid]:
    if not current_user.is_authenticated:
        return []
    return list(db.session.scalars(services.my_bids(current_user).limit(limit)))


# ---------------------------------------------------------------- publishing

def _tender_form(project: Project, tender: Tender | None) -> TenderForm:
    form = TenderForm()
    if request.method == "GET":
        if project.bid_deadline:
            form.bid_deadline.data = project.bid_deadline.astimezone(BEIJING).replace(tzinfo=None)
        criteria = tender.criteria if tender and tender.criteria else services.default_criteria()
        if tender:
            form.requirements.data, form.requirements_en.data = tender.requirements, tender.requirements_en
        for entry, criterion in zip(form.criteria, criteria, strict=False):
            entry.form.name.data = criterion["name"]
            entry.form.name_en.data = criterion.get("name_en", "")
            entry.form.weight.data = criterion["weight"]
        for entry, lot in zip(form.lots, services.lots_of(project), strict=False):
            entry.form.title.data, entry.form.title_en.data = lot.title, lot.title_en
            entry.form.description.data = lot.description
            entry.form.budget.set_cents(lot.budget_cents)
            entry.form.category_id.data = lot.category_id
            entry.form.project_type.data = lot.project_type
        if request.args.get("method") in {m.value for m in ProcurementMethod}:
            form.method.data = request.args["method"]
        if tender:
            form.method.data = tender.method.value
            form.method_reason.data = tender.method_reason
            form.contact_name.data, form.contact_phone.data = tender.contact_name, tender.contact_phone
            form.invited.data = services.invited_ids(project)
    choices = [("", "—")] + category_choices()
    for entry in form.lots:
        entry.form.category_id.choices = choices
    form.invited.choices = services.invitation_choices()
    return form


def _tender_input(form: TenderForm) -> services.TenderInput:
    return services.TenderInput(
        bid_deadline=local_to_utc(form.bid_deadline.data), requirements=form.requirements.data or "",
        requirements_en=form.requirements_en.data or "",
        criteria=tuple(services.CriterionInput(name=(e.form.name.data or "").strip(),
                                               name_en=(e.form.name_en.data or "").strip(),
                                               weight=e.form.weight.data or 0) for e in form.criteria),
        lots=tuple(services.LotInput(title=(e.form.title.data or "").strip(), title_en=(e.form.title_en.data or "").strip(),
                                     description=e.form.description.data or "", budget_cents=e.form.budget.cents or 0,
                                     category_id=e.form.category_id.data,
                                     project_type=e.form.project_type.data) for e in form.lots),
        method=ProcurementMethod(form.method.data), method_reason=form.method_reason.data or "",
        contact_name=(form.contact_name.data or "").strip(), contact_phone=(form.contact_phone.data or "").strip(),
        invited_org_ids=tuple(form.invited.data or ()))


@bp.route("/projects/<int:project_id>/tender", methods=["GET", "POST"])
@guard("tender.publish", Project, "project_id")
def tender(project: Project):
    existing = services.tender_of(project)
    form = _tender_form(project, existing)
    return handle_form(form, "bids/tender.html",
                       lambda: services.publish_tender(current_user, project, _tender_input(form), now=utcnow()),
                       lambda _t: saved(_("Tender published: providers can bid until the deadline."),
                                        url_for("projects.detail", project_id=project.id)),
                       project=project, tender=existing)


# ---------------------------------------------------------------- bidding

def _bid_form(project: Project, bid: Bid | None = None) -> BidForm:
    form = BidForm(obj=bid) if bid is not None else BidForm()
    lots = services.lots_of(project)
    form.lot_id.choices = [("", "—")] + [(lot.id, f"{lot.seq}. {lot.tr('title', _locale())} · {lot.effective_type.label} "
                                                  f"({money(lot.budget_cents)})") for lot in lots]
    if bid is not None and request.method == "GET":
        form.price.set_cents(bid.price_cents)
    return form


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "zh")


def _bid_input(form: BidForm, lot_id: int | None) -> services.BidInput:
    return services.BidInput(price_cents=form.price.cents or 0, proposal=form.proposal.data or "",
                             team=form.team.data or "", timeline=form.timeline.data or "", lot_id=lot_id)


@bp.route("/projects/<int:project_id>/bid", methods=["GET", "POST"])
@guard("bid.submit", Project, "project_id")
def new(project: Project):
    now = utcnow()
    if not policy.can(current_user, "project.view", project):
        abort(404)
    problems = services.eligibility_problems(current_user.organization, project, now)
    form = _bid_form(project)

    def operation():
        uploads = _uploads(form.attachments.data)
        for upload in uploads:
            services.check_upload(upload)
        try:
            bid = services.submit_bid(current_user, project, _bid_input(form, form.lot_id.data), now=now)
        except Conflict as error:
            if error.code == "late_bid":  # the refusal writes nothing; the attempt goes on the opening record
                db.session.rollback()
                services.record_late_attempt(current_user, project, now=now)
                db.session.commit()
            raise
        for upload in uploads:
            services.add_attachment(current_user, bid, upload, current_app.instance_path, now=now)
        return bid

    return handle_form(form, "bids/form.html", operation,
                       lambda bid: saved(_("Your sealed bid is in. Nobody else can see it before the deadline."),
                                         url_for("bids.detail", seal=bid.seal)),
                       project=project, bid=None, problems=problems, accepts=services.accepts_bids(project, now),
                       lots=services.lots_of(project), tender=services.tender_of(project))


def _by_seal(seal: str) -> Bid | None:
    """The bid under ``seal`` if the viewer may see it now; None otherwise (a bid's existence is sealed too)."""
    try:
        bid = services.bid_by_seal(seal)
    except DomainError:
        return None
    return bid if services.can_view_bid(current_user, bid, utcnow()) else None


@bp.get("/<seal>")
@guard("bid.view", Bid, "seal", conceal=True, loader=_by_seal)
def detail(seal: Bid):
    bid = seal
    own = policy.can(current_user, "bid.manage", bid)
    now = utcnow()
    return render_template("bids/detail.html", bid=bid, own=own, open_for_changes=own and services.accepts_bids(bid.project, now),
                           attachment_form=AttachmentForm(), tender=services.tender_of(bid.project))


@bp.route("/<seal>/edit", methods=["GET", "POST"])
@guard("bid.manage", Bid, "seal", conceal=True, loader=_by_seal)
def edit(seal: Bid):
    bid = seal
    form = _bid_form(bid.project, bid)
    return handle_form(form, "bids/form.html",
                       lambda: services.revise_bid(current_user, bid, _bid_input(form, bid.lot_id), now=utcnow()),
                       lambda _b: saved(_("Bid revised."), url_for("bids.detail", seal=bid.seal)),
                       project=bid.project, bid=bid, problems=[], accepts=True, lots=services.lots_of(bid.project),
                       tender=services.tender_of(bid.project))


@bp.post("/<seal>/withdraw")
@guard("bid.manage", Bid, "seal", conceal=True, loader=_by_seal)
def withdraw(seal: Bid):
    bid = seal
    services.withdraw_bid(current_user, bid, now=utcnow())
    db.session.commit()
    flash(_("Bid withdrawn. You can bid again before the deadline."), "success")
    return redirect(url_for("projects.detail", project_id=bid.project_id))


@bp.post("/<seal>/files")
@guard("bid.manage", Bid, "seal", conceal=True, loader=_by_seal)
def add_files(seal: Bid):
    bid = seal
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to add."), "warning")
        return redirect(url_for("bids.detail", seal=bid.seal))
    now = utcnow()
    uploads = _uploads(form.attachments.data)
    try:
        for upload in uploads:
            services.check_upload(upload)
        for upload in uploads:
            services.add_attachment(current_user, bid, upload, current_app.instance_path, now=now)
    except DomainError as error:
        db.session.rollback()
        apply_field_errors(form, error)
        return render_template("bids/detail.html", bid=bid, own=True, open_for_changes=True, attachment_form=form,
                               tender=services.tender_of(bid.project)), error.status_code
    db.session.commit()
    flash(_("Files added."), "success")
    return redirect(url_for("bids.detail", seal=bid.seal))


def _attachment(stored_name: str) -> BidAttachment | None:
    attachment = db.session.scalar(select(BidAttachment).where(BidAttachment.stored_name == stored_name[:80]))
    if attachment is None or not services.can_download(current_user, attachment, utcnow()):
        return None
    return attachment


@bp.post("/files/<stored_name>/delete")
@guard("bid.manage", BidAttachment, "stored_name", conceal=True, loader=_attachment)
def delete_file(stored_name: BidAttachment):
    attachment = stored_name
    seal = attachment.bid.seal
    services.remove_attachment(current_user, attachment, current_app.instance_path, now=utcnow())
    db.session.commit()
    flash(_("File removed."), "success")
    return redirect(url_for("bids.detail", seal=seal))


@bp.get("/files/<stored_name>")
@guard("bid.view", BidAttachment, "stored_name", conceal=True, loader=_attachment)
def download(stored_name: BidAttachment):
    attachment = stored_name
    return stored_file(services.attachment_path(current_app.instance_path, attachment),
                       content_type=attachment.content_type, filename=attachment.filename)


@bp.get("/mine")
@guard("bid.submit")
def mine():
    bids = db.session.scalars(services.my_bids(current_user).limit(200)).all()
    return render_template("bids/mine.html", bids=bids, now=utcnow())


# ---------------------------------------------------------------- opening and review

@bp.get("/projects/<int:project_id>/opened")
@guard("bids.open", Project, "project_id")
def opened(project: Project):
    tender = services.tender_of(project)
    now = utcnow()
    bids = services.bids_for_review(current_user, project, now) if tender and tender.is_opened else []
    openings = services.openings_of(project)
    return render_template("bids/opened.html", project=project, tender=tender, bids=bids,
                           closed=services.bidding_closed(project, now), lots=services.lots_of(project),
                           openings=openings, late={o.round: services.late_attempts(project, o.round) for o in openings})


@bp.post("/projects/<int:project_id>/open")
@guard("bids.open", Project, "project_id")
def open_bids(project: Project):
    tender = services.open_bids(current_user, project, now=utcnow())
    db.session.commit()
    flash(_("Bids opened: %(n)d bid(s). The opening is recorded in the audit trail.", n=tender.opened_bid_count),
          "success")
    return redirect(url_for("bids.opened", project_id=project.id))


@bp.get("/projects/awaiting-opening")
@guard("bids.review")
def awaiting_opening():
    projects = db.session.scalars(services.projects_awaiting_opening(current_user, utcnow()).limit(200)).all()
    return render_template("bids/awaiting.html", projects=projects)


# ---------------------------------------------------------------- procurement: what the tender page shows

@bp.app_template_global("tender_extras")
def tender_extras(project: Project) -> dict[str, object]:
    """Procurement details of a project's tender for its page: method, contact, documents, clarifications,
    invitations, failure, opening records. Nothing here depends on whether anyone has bid."""
    tender = services.tender_of(project)
    if tender is None:
        return {"tender": None}
    now = utcnow()
    org = current_user.organization if current_user.is_authenticated else None
    return {
        "tender": tender, "now": now, "tel": procurement.tel_uri(tender.contact_phone) if tender.contact_phone else "",
        "documents": services.documents_of(project),
        "clarifications": services.clarifications_for(current_user, project),
        "invitations": services.invitations_of(project),
        "invited_here": org is not None and services.is_invited(org, project),
        "openings": services.openings_of(project),
        "can_ask": (current_user.is_authenticated and policy.can(current_user, "clarification.ask")
                    and org is not None and services.accepts_bids(project, now)),
        "official": policy.can(current_user, "clarification.answer", project),
        "accepts_bids": services.accepts_bids(project, now),
        "question_form": QuestionForm(formdata=None), "document_form": DocumentForm(formdata=None),
    }


# ---------------------------------------------------------------- tender documents

@bp.post("/projects/<int:project_id>/documents")
@guard("tender.publish", Project, "project_id")
def add_documents(project: Project):
    form = DocumentForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to add."), "warning")
        return redirect(url_for("projects.detail", project_id=project.id))
    uploads = _uploads(form.documents.data, services.MAX_DOCUMENT_BYTES)
    try:
        for upload in uploads:
            services.add_tender_document(current_user, project, upload, current_app.instance_path, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        message = " ".join([str(error.message), *(str(v) for v in error.fields.values())])
        return render_template("errors/error.html", status=error.status_code, message=message), error.status_code
    db.session.commit()
    flash(_("Tender documents added."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.post("/projects/<int:project_id>/documents/<int:document_id>/delete")
@guard("tender.publish", Project, "project_id")
def delete_document(project: Project, document_id: int):
    document = db.session.get(TenderDocument, document_id)
    if document is None or document.project_id != project.id:
        abort(404)
    services.remove_tender_document(current_user, document, current_app.instance_path, now=utcnow())
    db.session.commit()
    flash(_("Document removed."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.get("/documents/<stored_name>")
@guard("tender_document.download", TenderDocument, "stored_name", conceal=True, loader=services.document_by_name)
def document(stored_name: TenderDocument):
    document = stored_name
    # Published documents are public: caches may keep them.
    return stored_file(services.document_path(current_app.instance_path, document),
                       content_type=document.content_type, filename=document.filename, private=False)


# ---------------------------------------------------------------- clarifications

@bp.route("/projects/<int:project_id>/questions", methods=["GET", "POST"])
@guard("clarification.ask", Project, "project_id")
def ask(project: Project):
    if not policy.can(current_user, "project.view", project):
        abort(404)
    form = QuestionForm()
    return handle_form(form, "bids/question.html",
                       lambda: services.ask_clarification(current_user, project, form.question.data, now=utcnow()),
                       lambda _c: saved(_("Question sent. The answer will be published to everyone at once, "
                                          "without your name."), url_for("projects.detail", project_id=project.id)),
                       project=project)


def _clarifications_page(project: Project, *, answer_form: AnswerForm | None = None, answering: int | None = None,
                         form: ClarificationForm | None = None):
    return dict(project=project, clarifications=services.clarifications_for(current_user, project),
                answer_form=answer_form or AnswerForm(formdata=None), answering=answering,
                accepts=services.accepts_bids(project, utcnow()), clarification_form=form or ClarificationForm(
                    formdata=None))


@bp.get("/projects/<int:project_id>/clarifications")
@guard("clarification.answer", Project, "project_id")
def clarifications(project: Project):
    return render_template("bids/clarifications.html", **_clarifications_page(project))


@bp.post("/projects/<int:project_id>/clarifications/<int:clarification_id>/answer")
@guard("clarification.answer", Project, "project_id")
def answer(project: Project, clarification_id: int):
    clarification = db.session.get(Clarification, clarification_id)
    if clarification is None or clarification.project_id != project.id:
        abort(404)
    form = AnswerForm()
    context = _clarifications_page(project, answer_form=form, answering=clarification.id)
    context.pop("project")
    return handle_form(form, "bids/clarifications.html",
                       lambda: services.answer_clarification(current_user, clarification, form.answer.data,
                                                             now=utcnow()),
                       _published, project=project, **context)


@bp.post("/projects/<int:project_id>/clarifications")
@guard("clarification.answer", Project, "project_id")
def publish_clarification(project: Project):
    form = ClarificationForm()
    context = _clarifications_page(project, form=form)
    context.pop("project")
    context["clarification_form"] = form
    return handle_form(form, "bids/clarifications.html",
                       lambda: services.publish_clarification(current_user, project, form.question.data or "",
                                                              form.answer.data, now=utcnow()),
                       _published, project=project, **context)


def _published(clarification: Clarification):
    target = url_for("bids.clarifications", project_id=clarification.project_id)
    if clarification.deadline_extended_to is not None:
        return saved(_("Published. The bid deadline moved to %(when)s so that bidders have time to take it into "
                       "account.", when=datetime_label(clarification.deadline_extended_to)), target)
    return saved(_("Published to everyone."), target)


# ---------------------------------------------------------------- a failed tender, the opening record

@bp.route("/projects/<int:project_id>/republish", methods=["GET", "POST"])
@guard("tender.publish", Project, "project_id")
def republish(project: Project):
    tender = services.tender_of(project)
    if tender is None or not tender.has_failed:
        abort(404)
    form = RepublishForm()
    form.invited.choices = services.invitation_choices()
    if request.method == "GET":
        form.method.data = tender.method.value
        form.invited.data = services.invited_ids(project)

    def operation():
        data = services.RepublishInput(bid_deadline=local_to_utc(form.bid_deadline.data),
                                       method=ProcurementMethod(form.method.data), reason=form.reason.data or "",
                                       invited_org_ids=tuple(form.invited.data or ()))
        return services.republish_tender(current_user, project, data, now=utcnow())

    return handle_form(form, "bids/republish.html", operation,
                       lambda _t: saved(_("The tender takes bids again until the new deadline."),
                                        url_for("projects.detail", project_id=project.id)),
                       project=project, tender=tender)


@bp.get("/projects/<int:project_id>/opening")
@guard("project.view", Project, "project_id", conceal=True)
def opening_record(project: Project):
    """The public opening record of every round: bidders, prices, times, withdrawals, late bids refused."""
    openings = services.openings_of(project)
    late = {o.round: services.late_attempts(project, o.round) for o in openings}
    return render_template("bids/opening_record.html", project=project, tender=services.tender_of(project),
                           openings=openings, late=late)


# ---------------------------------------------------------------- a district's procurement settings

@bp.get("/settings")
@guard("procurement.settings")
def settings_index():
    districts = [d for d in db.session.scalars(select(District).order_by(District.id))
                 if policy.can(current_user, "procurement.settings", d)]
    return render_template("bids/settings_index.html", districts=districts)


@bp.route("/districts/<int:district_id>/settings", methods=["GET", "POST"])
@guard("procurement.settings", District, "district_id")
def settings(district: District):
    current = procurement.settings_for(district)
    form = SettingsForm()
    if request.method == "GET":
        form.direct_commission_max.set_cents(current.direct_commission_max_cents)
        form.single_source_notice_days.data = current.single_source_notice_days
        form.clarification_days.data = current.clarification_days
        form.number_prefix.data = current.number_prefix
    departments = db.session.scalars(select(Organization).where(Organization.kind == OrgKind.GOVERNMENT)
                                     .order_by(Organization.id)).all()

    def operation():
        return procurement.update_settings(current_user, district, procurement.SettingsInput(
            direct_commission_max_cents=form.direct_commission_max.cents if form.direct_commission_max.cents
            is not None else -1, single_source_notice_days=form.single_source_notice_days.data or 0,
            clarification_days=form.clarification_days.data or 0, number_prefix=form.number_prefix.data or ""),
            now=utcnow())

    return handle_form(form, "bids/settings.html", operation,
                       lambda _s: saved(_("Procurement settings saved."), url_for("bids.settings",
                                                                                   district_id=district.id)),
                       district=district, departments=departments, code_form=DepartmentCodeForm(formdata=None))


@bp.post("/districts/<int:district_id>/department-codes")
@guard("procurement.settings", District, "district_id")
def department_code(district: District):
    form = DepartmentCodeForm()
    if not form.validate_on_submit():
        abort(400)
    org = db.session.get(Organization, form.org_id.data)
    if org is None:
        abort(404)
    procurement.set_department_code(current_user, org, form.code.data or "")
    db.session.commit()
    flash(_("Procurement code saved."), "success")
    return redirect(url_for("bids.settings", district_id=district.id))
