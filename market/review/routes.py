"""The matching console (officials) and public award notices (公示); contract pages are market.contracts."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_timedelta, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from market.accounts.models import Role
from market.bids import services as bid_services
from market.bids.models import Bid, BidStatus, Lot, Tender
from market.contracts import services as contract_services
from market.contracts.models import Contract
from market.core import policy
from market.core.db import db, utcnow
from market.core.enums import label_of
from market.core.errors import Conflict, DomainError, ValidationFailed
from market.funds.models import FundingPool
from market.geo.models import Category
from market.orgs.models import Organization
from market.projects.models import Project, ProjectKind
from market.review import adapter, awards, jobs, services, vocabulary
from market.review.forms import (
    AnswerForm,
    ApproveForm,
    DecisionForm,
    EmptyForm,
    ObjectionForm,
    RejectForm,
    RunForm,
    VocabularyTermForm,
)
from market.review.labels import status_label
from market.review.models import (
    Award,
    AwardObjection,
    AwardStatus,
    DecisionKind,
    MatchDecision,
    MatchProposal,
    MatchProposalStatus,
    MatchRun,
    RunStatus,
    VocabularyTerm,
)
from market.ui.charts import Bar, bar_chart
from market.ui.export import FORMATS, table_response
from market.ui.formatting import money
from market.ui.forms import apply_field_errors, handle_form, require_form, saved
from market.ui.guard import guard, public
from market.ui.listing import ListingArgs, Page, parse_listing_args, run_listing

bp = Blueprint("review", __name__, url_prefix="/review")
GROUP_LIMIT = 300


def _locale() -> str:
    return str(get_locale() or "zh")


def _first_error(form) -> str:
    for name, errors in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        return f"{label.text if label else name}: {errors[0]}"
    return _("Please correct the marked fields.")


# ---------------------------------------------------------------- console

def _launch(match_run: MatchRun) -> None:
    jobs.launch(current_app._get_current_object(), match_run, redis_url=current_app.config.get("REDIS_URL", ""),
                inline=current_app.config.get("MATCH_RUNS_INLINE", False))


def _queue(start: Callable[[], MatchRun]) -> tuple[MatchRun, bool]:
    """Queue and launch the run ``start`` makes, and say so; the same request already under way (on
    this server or another) is not started twice: that run is returned instead, with False."""
    try:
        run = start()
    except services.RunUnderWay as under_way:
        db.session.rollback()
        flash(str(under_way.message), "info")
        return under_way.run, False
    db.session.commit()
    _launch(run)
    return run, True


@bp.get("/")
@guard("console.use")
def console():
    groups = services.matchable_projects(current_user)
    counts = {name: len(projects) for name, projects in groups.items()}
    shown = {name: projects[:GROUP_LIMIT] for name, projects in groups.items()}
    from market.bids.services import projects_awaiting_opening

    awaiting = db.session.scalar(select(func.count()).select_from(
        projects_awaiting_opening(current_user, utcnow()).subquery()))
    return render_template("review/console.html", groups=shown, counts=counts, form=RunForm(),
                           runs=services.recent_runs(current_user), awaiting=awaiting)


@bp.post("/runs")
@guard("console.use")
def start():
    form = RunForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("review.console"))
    if request.form.get("scope") == "all":
        project_ids = sorted(services.matchable_ids(current_user))
    else:
        try:
            project_ids = [int(v) for v in request.form.getlist("project_ids")]
        except ValueError:
            abort(400)
    share = form.max_provider_share.data
    options = adapter.RunOptions(solver=form.solver.data, time_limit=float(form.time_limit.data),
                                 max_provider_share=share / 100 if share else None,
                                 fund_government_services=bool(form.fund_government_services.data))
    run, _queued = _queue(lambda: services.start_run(current_user, project_ids, options, now=utcnow()))
    return redirect(url_for("review.run", run_id=run.id))


ROWS_PER_PAGE = 25
BAND_LABELS = (("high", _l("High (0.75 and up)")), ("medium", _l("Medium (0.50 to 0.75)")), ("low", _l("Low (under 0.50)")))
SORT_LABELS = (("", _l("Project number")), ("score_desc", _l("Score, highest first")),
               ("score_asc", _l("Score, lowest first")), ("amount_desc", _l("Amount, largest first")),
               ("amount_asc", _l("Amount, smallest first")), ("title", _l("Project title")), ("street", _l("Street")))


def _run_rows(match_run: MatchRun):
    """The run's view, its rows filtered and sorted as the query string asks, and the listing arguments."""
    locale = _locale()
    view = services.run_view(match_run, locale)
    rows = services.run_rows(view, locale)
    choices = services.row_choices(rows, locale)
    listing = parse_listing_args(request.args, choice_filters={
        "street": [k for k, _v in choices["street"]], "category": [k for k, _v in choices["category"]],
        "kind": [k.value for k in ProjectKind], "band": services.SCORE_BANDS, "status": services.ROW_STATUSES,
        "attention": ("1",)}, sorts=services.ROW_SORTS, default_per_page=ROWS_PER_PAGE)
    wanted = services.RowFilter(**{k: v for k, v in listing.filters.items() if k != "attention"},
                                attention=listing.filters.get("attention") == "1")
    shown = services.sort_rows(services.filter_rows(rows, wanted), listing.sort, locale)
    return view, rows, shown, choices, listing


def _query(listing: ListingArgs) -> dict[str, object]:
    """The checked filters, sort and page size, for links to other pages and to the downloads."""
    query: dict[str, object] = dict(listing.filters)
    if listing.sort:
        query["sort"] = listing.sort
    if listing.per_page != ROWS_PER_PAGE:
        query["per_page"] = listing.per_page
    return query


def _summary_charts(summary: services.RunSummary, locale: str) -> dict[str, object]:
    outcome = [Bar(_("Matched"), summary.matched)] + [Bar(label, n) for label, n in summary.unmatched_by_reason]
    money_bars = [Bar(pool.tr("name", locale), amount / 100, note=money(amount, whole=True))
                  for pool, amount in summary.by_pool]
    return {"outcome": bar_chart(_("Projects matched, and unmatched by reason"), outcome),
            "outcome_rows": outcome,
            "money": bar_chart(_("Money proposed per pool"), money_bars) if money_bars else None,
            "money_rows": summary.by_pool}


@bp.get("/runs/<int:run_id>")
@guard("run.view", MatchRun, "run_id", conceal=True)
def run(run: MatchRun):
    match_run = run
    if not match_run.is_finished or match_run.status == RunStatus.FAILED:
        return render_template("review/run.html", run=match_run, view=None, empty_form=EmptyForm())
    view, rows, shown, choices, listing = _run_rows(match_run)
    start = (listing.page - 1) * listing.per_page
    page = Page(shown[start:start + listing.per_page], len(shown), listing.page, listing.per_page)
    summary = services.run_summary(view, rows)
    governed = {row.project.id for row in page.items if services.governs(current_user, row.project)}
    return render_template("review/run.html", run=match_run, view=view, page=page, listing=listing,
                           query=_query(listing),
                           choices=choices, bands=BAND_LABELS, sorts=SORT_LABELS, summary=summary,
                           charts=_summary_charts(summary, _locale()), governed=governed, empty_form=EmptyForm(),
                           kinds=[(k.value, label_of(k)) for k in ProjectKind],
                           statuses=[(s.value, label_of(s)) for s in MatchProposalStatus]
                           + [(services.UNMATCHED, _("Unmatched"))])


@bp.get("/runs/<int:run_id>/rows.<fmt>")
@guard("run.view", MatchRun, "run_id", conceal=True)
def run_export(run: MatchRun, fmt: str):
    """The run's rows (as filtered and sorted on the page, every page) as CSV or XLSX."""
    if fmt not in FORMATS or not run.is_finished:
        abort(404)
    _view, _rows, shown, _choices, _listing = _run_rows(run)
    header, table = services.export_table(shown, _locale())
    return table_response(header, table, filename_stem=f"match-run-{run.id}", fmt=fmt)


def _selected_ids() -> list[int]:
    return services.parse_proposal_ids(request.form.getlist("proposal_ids"))


def _reasons_given() -> dict[int, str]:
    reasons = {}
    for key, value in request.form.items():
        if key.startswith("reason_") and key[7:].isdigit() and len(key) < 20:
            reasons[int(key[7:])] = value[:2000]
    return reasons


@bp.post("/runs/<int:run_id>/approve-selected")
@guard("run.view", MatchRun, "run_id", conceal=True)
def bulk_confirm(run: MatchRun):
    """The confirmation page of a selection: totals per pool and provider, the reasons still needed."""
    require_form(EmptyForm())
    plan = services.plan_bulk_approval(current_user, run, _selected_ids(), _locale())
    return render_template("review/bulk_approve.html", run=run, plan=plan, form=ApproveForm(formdata=None),
                           reasons={}, errors={}, failure=None)


@bp.post("/runs/<int:run_id>/approve-selected/confirm")
@guard("run.view", MatchRun, "run_id", conceal=True)
def bulk_approve(run: MatchRun):
    """Approve the confirmed selection, all or nothing."""
    form = ApproveForm()
    ids = _selected_ids()
    reasons = _reasons_given()
    if form.validate_on_submit():
        try:
            approved = services.approve_proposals(current_user, run, ids, reasons, now=utcnow(),
                                                  notice_days=form.notice_days.data, locale=_locale())
        except (ValidationFailed, Conflict) as error:
            db.session.rollback()
            plan = services.plan_bulk_approval(current_user, run, ids, _locale())
            return render_template("review/bulk_approve.html", run=run, plan=plan, form=form, reasons=reasons,
                                   errors=error.fields, failure=error.message), error.status_code
        db.session.commit()
        flash(ngettext("%(num)d proposal approved; its award is published for objections.",
                       "%(num)d proposals approved; their awards are published for objections.", len(approved)),
              "success")
        return redirect(url_for("review.run", run_id=run.id))
    plan = services.plan_bulk_approval(current_user, run, ids, _locale())
    return render_template("review/bulk_approve.html", run=run, plan=plan, form=form, reasons=reasons,
                           errors={}, failure=_first_error(form)), 400


@bp.get("/runs/<int:run_id>/status.json")
@guard("run.view", MatchRun, "run_id", conceal=True)
def run_status(run: MatchRun):
    match_run = run
    return jsonify({"id": match_run.id, "status": match_run.status, "progress": match_run.progress,
                    "note": match_run.progress_note, "finished": match_run.is_finished,
                    "seconds": match_run.seconds})


@bp.post("/runs/<int:run_id>/rerun")
@guard("run.view", MatchRun, "run_id", conceal=True)
def rerun(run: MatchRun):
    require_form(EmptyForm())
    new_run, queued = _queue(lambda: services.rerun(current_user, run, now=utcnow()))
    if queued:
        flash(_("Re-running with every decision taken so far."), "success")
    return redirect(url_for("review.run", run_id=new_run.id))


# ---------------------------------------------------------------- one project of a run: overrides

def _decision_form(match_run: MatchRun, project: Project) -> DecisionForm:
    form = DecisionForm()
    form.kind.choices = [(DecisionKind.PIN.value, _("Keep (pin) this pair")),
                         (DecisionKind.FORBID.value, _("Exclude (forbid) this pair"))]
    locale = _locale()
    # Bidders only once their bids are opened: until then a tender's bids are sealed, even their existence.
    tender = bid_services.tender_of(project)
    opened = tender is not None and tender.is_opened
    # IN rather than DISTINCT over a join: PostgreSQL cannot compare the JSON columns DISTINCT would.
    bidders = list(db.session.scalars(select(Organization).where(Organization.id.in_(
        select(Bid.organization_id).where(Bid.project_id == project.id, Bid.status != BidStatus.WITHDRAWN)))
        .order_by(Organization.id))) if opened else []
    proposed_ids = {int(u["provider_id"]) for p in db.session.scalars(
        select(MatchProposal).where(MatchProposal.run_id == match_run.id, MatchProposal.project_id == project.id))
        for u in p.units if u.get("provider_id") is not None}
    providers = {o.id: o for o in bidders}
    providers.update({o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(proposed_ids)))})
    if tender is None and project.kind != "public_benefit":
        for org in db.session.scalars(
                select(Organization).where(Organization.categories.any(id=project.category_id),
                                           Organization.verification_state == "verified",
                                           Organization.kind.in_(adapter.PROVIDER_ORG_KINDS))
                .order_by(Organization.rating_grade.desc(), Organization.id).limit(150)):
            providers.setdefault(org.id, org)
    pools = db.session.scalars(select(FundingPool).where(FundingPool.is_open, FundingPool.remaining_cents > 0)
                               .order_by(FundingPool.remaining_cents.desc(), FundingPool.id).limit(150)) \
        if project.kind != "government_service" or match_run.parameters.get("options", {}).get(
            "fund_government_services") else []
    choices = [(f"provider:{o.id}", _("Provider: %(name)s", name=o.tr("name", locale)))
               for o in sorted(providers.values(), key=lambda o: o.id)]
    choices += [(f"pool:{p.id}", _("Pool: %(name)s (%(left)s left)", name=p.tr("name", locale),
                                     left=money(p.remaining_cents, whole=True))) for p in pools]
    form.target.choices = choices
    lots = db.session.scalars(select(Lot).where(Lot.project_id == project.id).order_by(Lot.seq)).all()
    form.lot_id.choices = [("", _("Every lot"))] + [(lot.id, f"{lot.seq}. {lot.tr('title', locale)}") for lot in lots]
    return form


@bp.get("/runs/<int:run_id>/projects/<int:project_id>")
@guard("run.view", MatchRun, "run_id", conceal=True)
def run_project(run: MatchRun, project_id: int):
    match_run = run
    if project_id not in match_run.parameters.get("project_ids", []):
        abort(404)
    project = db.get_or_404(Project, project_id)
    view = services.run_view(match_run, _locale()) if match_run.is_finished else None
    proposal = next((p for p in view.proposals if p.project.id == project_id), None) if view else None
    unmatched = [u for u in view.unmatched if u.project and u.project.id == project_id] if view else []
    decisions = [d for d in services.decisions_for([project_id])]
    names = {"orgs": {o.id: o for o in db.session.scalars(select(Organization).where(
                 Organization.id.in_({d.provider_id for d in decisions if d.provider_id})))},
             "pools": {p.id: p for p in db.session.scalars(select(FundingPool).where(
                 FundingPool.id.in_({d.pool_id for d in decisions if d.pool_id})))},
             "lots": {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.project_id == project_id))}}
    return render_template("review/run_project.html", run=match_run, project=project, proposal=proposal,
                           unmatched=unmatched, decisions=decisions, form=_decision_form(match_run, project),
                           names=names, reasons_needed=services.reasons_needed(proposal, _locale()) if proposal else [],
                           governs=services.governs(current_user, project), approve_form=ApproveForm(),
                           reject_form=RejectForm(), empty_form=EmptyForm())


@bp.post("/runs/<int:run_id>/projects/<int:project_id>/decisions")
@guard("run.view", MatchRun, "run_id", conceal=True)
def decide(run: MatchRun, project_id: int):
    match_run, run_id = run, run.id
    project = db.get_or_404(Project, project_id)
    policy.require(current_user, "match.decide", project)
    form = _decision_form(match_run, project)
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("review.run_project", run_id=run_id, project_id=project_id)), 303
    kind, _sep, target_id = form.target.data.partition(":")
    data = services.DecisionInput(project_id=project.id, kind=DecisionKind(form.kind.data), reason=form.reason.data,
                                  provider_id=int(target_id) if kind == "provider" else None,
                                  pool_id=int(target_id) if kind == "pool" else None,
                                  lot_id=form.lot_id.data if kind == "provider" else None)
    services.add_decision(current_user, match_run, data, now=utcnow())
    db.session.commit()
    flash(_("Decision recorded. Re-run the match to see its effect."), "success")
    return redirect(url_for("review.run_project", run_id=run_id, project_id=project_id))


@bp.post("/decisions/<int:decision_id>/revoke")
@guard("match.decide", MatchDecision, "decision_id")
def revoke(decision: MatchDecision):
    require_form(EmptyForm())
    services.revoke_decision(current_user, decision, now=utcnow())
    db.session.commit()
    flash(_("Decision revoked."), "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("review.console"))


# ---------------------------------------------------------------- the sector vocabulary

def _term_form() -> VocabularyTermForm:
    form = VocabularyTermForm()
    locale = _locale()
    form.category_id.choices = [("", _("Choose a category"))] + [
        (c.id, c.tr("name", locale)) for c in db.session.scalars(select(Category).order_by(Category.sort_order,
                                                                                         Category.id))]
    return form


def _vocabulary_context() -> dict[str, Any]:
    entries = vocabulary.listing(current_user)
    withdrawable = {t.row.id for e in entries for s in e.skills for t in s.added
                    if policy.can(current_user, "vocabulary.withdraw", t.row)}
    return {"entries": entries, "withdrawable": withdrawable, "skills": vocabulary.skill_names(current_user),
            "empty_form": EmptyForm()}


@bp.get("/vocabulary")
@guard("vocabulary.view")
def vocabulary_index():
    """The matching vocabulary per category: packaged words, words officials added, and a form to add one."""
    return render_template("review/vocabulary.html", form=_term_form(), **_vocabulary_context())


@bp.post("/vocabulary")
@guard("vocabulary.add")
def add_term():
    form = _term_form()

    def operation() -> VocabularyTerm:
        return vocabulary.add_term(current_user, vocabulary.TermInput(
            category_id=form.category_id.data, skill=form.skill.data or "", term=form.term.data or "",
            language=form.language.data or ""), now=utcnow())

    def done(row: VocabularyTerm):
        return saved(_("“%(term)s” added to “%(skill)s”; the next matching runs use it.", term=row.term,
                       skill=row.skill), url_for("review.vocabulary_index", _anchor=f"category-{row.category_id}"))

    return handle_form(form, "review/vocabulary.html", operation, done, **_vocabulary_context())


@bp.post("/vocabulary/<int:term_id>/withdraw")
@guard("vocabulary.withdraw", VocabularyTerm, "term_id")
def withdraw_term(term: VocabularyTerm):
    require_form(EmptyForm())
    vocabulary.withdraw_term(current_user, term, now=utcnow())
    db.session.commit()
    flash(_("“%(term)s” withdrawn; the next matching runs no longer use it.", term=term.term), "success")
    return redirect(url_for("review.vocabulary_index", _anchor=f"category-{term.category_id}"))


# ---------------------------------------------------------------- approving and rejecting

@bp.post("/proposals/<int:proposal_id>/approve")
@guard("match.decide", MatchProposal, "proposal_id")
def approve(proposal: MatchProposal):
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("review.run", run_id=proposal.run_id))
    try:
        award = services.approve_one(current_user, proposal, reason=form.reason.data or "", now=utcnow(),
                                     notice_days=form.notice_days.data)
    except ValidationFailed as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("review.run_project", run_id=proposal.run_id, project_id=proposal.project_id)), 303
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    flash(_("Approved. The award is published for objections until %(when)s.",
            when=award.notice_ends_at.strftime("%Y-%m-%d")), "success")
    return redirect(url_for("review.award", award_id=award.id))


@bp.post("/proposals/<int:proposal_id>/reject")
@guard("match.decide", MatchProposal, "proposal_id")
def reject(proposal: MatchProposal):
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("Give a reason (at least %(n)d characters); it is kept in the record.", n=5), "danger")
        return redirect(url_for("review.run", run_id=proposal.run_id)), 303
    services.reject_proposal(current_user, proposal, form.reason.data, now=utcnow())
    db.session.commit()
    flash(_("Proposal rejected."), "success")
    return redirect(url_for("review.run", run_id=proposal.run_id))


# ---------------------------------------------------------------- public notices (公示)

@bp.get("/awards")
@public
def award_index():
    listing = parse_listing_args(request.args, choice_filters={"status": [s.value for s in AwardStatus]})
    status = listing.filters.get("status", "")
    page = run_listing(Award, awards.public_awards(AwardStatus(status) if status else None),
                       ListingArgs(page=listing.page, per_page=20),
                       order_by=(Award.approved_at.desc(), Award.id.desc()))
    return render_template("review/awards.html", page=page, status=status, now=utcnow())


@bp.get("/awards/<int:award_id>")
@public
def award(award_id: int):
    item = db.get_or_404(Award, award_id)
    governs = services.governs(current_user, item.project)
    return render_template("review/award.html", award=item, contracts=contract_services.contracts_of(item),
                           commitments=awards.commitments_of(item), governs=governs, now=utcnow(),
                           objection_form=ObjectionForm(), answer_form=AnswerForm(),
                           names=_award_names(item))


def _award_names(item: Award) -> dict[str, dict[int, object]]:
    org_ids = {int(u["provider_id"]) for u in item.explanation.get("units", []) if u.get("provider_id")}
    pool_ids = {int(f["pool_id"]) for f in item.explanation.get("funding", [])}
    lot_ids = {int(u["lot_id"]) for u in item.explanation.get("units", []) if u.get("lot_id")}
    return {"orgs": {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(org_ids)))},
            "pools": {p.id: p for p in db.session.scalars(select(FundingPool).where(FundingPool.id.in_(pool_ids)))},
            "lots": {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))},
            "labels": {k: str(v) for k, v in services.COMPONENT_LABELS.items()}}


@bp.post("/awards/<int:award_id>/objections")
@guard("award.object", Award, "award_id")
def object_to(award: Award):
    item = award
    form = ObjectionForm()
    if not form.validate_on_submit():
        apply_field_errors(form, DomainError(_("Explain the objection (at least %(n)d characters).", n=10)))
        return render_template("review/award.html", award=item, contracts=contract_services.contracts_of(item),
                               commitments=awards.commitments_of(item), now=utcnow(),
                               governs=services.governs(current_user, item.project),
                               objection_form=form, answer_form=AnswerForm(), names=_award_names(item)), 400
    awards.file_objection(current_user, item, form.text.data, now=utcnow())
    db.session.commit()
    flash(_("Objection filed. The officials will answer it publicly before any contract is signed."), "success")
    return redirect(url_for("review.award", award_id=item.id))


@bp.post("/objections/<int:objection_id>/answer")
@guard("award.answer", AwardObjection, "objection_id")
def answer(objection: AwardObjection):
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("review.award", award_id=objection.award_id)), 303
    awards.answer_objection(current_user, objection, uphold=form.outcome.data == "uphold", answer=form.answer.data,
                            now=utcnow())
    db.session.commit()
    flash(_("Answer published."), "success")
    return redirect(url_for("review.award", award_id=objection.award_id))


# ---------------------------------------------------------------- the project page's bidding panel
# (here rather than in market.bids: it shows the award too, which this domain decides)

@dataclass
class BiddingPanel:
    tender: Tender | None
    lots: list[Lot]
    accepts_bids: bool
    closed: bool
    time_left: str
    public_count: int | None
    my_bids: list[Bid]
    can_bid: bool
    problems: list[str]
    reviews: bool
    award: object | None
    contracts: list
    awaiting_opening: bool


@bp.app_template_global("bidding_panel")
def bidding_panel(project: Project) -> BiddingPanel:
    """What the project page shows about bidding, for the current user (never another's bid)."""
    now = utcnow()
    tender = bid_services.tender_of(project)
    closed = bid_services.bidding_closed(project, now)
    accepts = bid_services.accepts_bids(project, now)
    time_left = ""
    if project.bid_deadline is not None and not closed:
        time_left = format_timedelta(project.bid_deadline - now, add_direction=True, threshold=1.1)
    mine: list[Bid] = []
    problems: list[str] = []
    user = current_user if current_user.is_authenticated else None
    if user is not None and user.role == Role.PROVIDER and user.organization_id:
        mine = list(db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                         Bid.organization_id == user.organization_id)
                                       .order_by(Bid.lot_seq)))
        if accepts:
            problems = bid_services.eligibility_problems(user.organization, project, now)
    award = awards.latest_award(project)
    reviewing = bid_services.reviews(user, project)
    lots = bid_services.lots_of(project)
    covered = {b.lot_seq for b in mine if b.is_active}
    room_left = not covered if not lots else any(lot.seq not in covered for lot in lots)
    return BiddingPanel(
        tender=tender, lots=lots, accepts_bids=accepts, closed=closed, time_left=time_left,
        public_count=bid_services.public_bid_count(project, now), my_bids=mine,
        can_bid=accepts and user is not None and user.role == Role.PROVIDER and not problems and room_left,
        problems=problems, reviews=reviewing, award=award,
        contracts=contract_services.contracts_of(award) if award is not None else [],
        awaiting_opening=reviewing and tender is not None and closed and not tender.is_opened)


# ---------------------------------------------------------------- dashboard helpers

bp.add_app_template_global(status_label, "status_label")
bp.add_app_template_global(services.matched_text, "matched_skills_text")


@bp.app_template_global("review_work")
def review_work() -> dict[str, object]:
    """Counts and items for an official's dashboard."""
    if not policy.can(current_user, "console.use"):
        return {}
    from market.bids.services import projects_awaiting_opening

    now = utcnow()
    return {
        "awaiting_opening": db.session.scalars(projects_awaiting_opening(current_user, now).limit(10)).all(),
        "evaluating": db.session.scalar(select(func.count()).select_from(
            services.matchable_query(current_user, "evaluating").subquery())),
        "milestones": db.session.scalars(contract_services.pending_approvals(current_user).limit(10)).all(),
        "objections": db.session.scalars(awards.open_objections(current_user).limit(10)).all(),
        "signable": [c for c in contract_services.signable_contracts(now) if services.governs(current_user, c.project)
                     and not contract_services.signing_blockers(c, now)][:10],
    }


@bp.app_template_global("contract_award")
def contract_award(contract: Contract) -> Award | None:
    """The award that made ``contract`` (the contract page links to its notice)."""
    return db.session.get(Award, contract.award_id) if contract.award_id else None
