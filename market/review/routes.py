"""The matching console (officials), public award notices (公示), contracts and milestones."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from market.accounts.models import Role
from market.accounts.permissions import official_required
from market.bids.models import Bid, BidStatus, Lot
from market.contracts.models import Contract, Milestone
from market.db import db, utcnow
from market.errors import DomainError
from market.funds.models import FundingPool
from market.orgs.models import Organization
from market.projects.models import Project
from market.review import adapter, awards, jobs, services
from market.review.forms import (
    AnswerForm,
    ApproveForm,
    DecisionForm,
    EmptyForm,
    MilestoneReturnForm,
    MilestoneSubmitForm,
    ObjectionForm,
    RejectForm,
    RunForm,
)
from market.review.labels import status_label
from market.review.models import (
    Award,
    AwardObjection,
    AwardStatus,
    DecisionKind,
    MatchDecision,
    MatchProposal,
    MatchRun,
)
from market.web.formatting import money
from market.web.forms import apply_field_errors
from market.web.listing import ListingArgs, run_listing

bp = Blueprint("review", __name__, url_prefix="/review")
GROUP_LIMIT = 300
PER_PAGE = 50


def _locale() -> str:
    return str(get_locale() or "zh")


def _run(run_id: int) -> MatchRun:
    run = db.get_or_404(MatchRun, run_id)
    if not services.can_see_run(current_user, run):
        abort(404)
    return run


def _first_error(form) -> str:
    for name, errors in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        return f"{label.text if label else name}: {errors[0]}"
    return _("Please correct the marked fields.")


# ---------------------------------------------------------------- console

def _launch(match_run: MatchRun) -> None:
    jobs.launch(current_app._get_current_object(), match_run, redis_url=current_app.config.get("REDIS_URL", ""),
                inline=current_app.config.get("MATCH_RUNS_INLINE", False))


@bp.get("/")
@official_required
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
@official_required
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
    run = services.start_run(current_user, project_ids, options, now=utcnow())
    db.session.commit()
    _launch(run)
    return redirect(url_for("review.run", run_id=run.id))


@bp.get("/runs/<int:run_id>")
@official_required
def run(run_id: int):
    match_run = _run(run_id)
    view = services.run_view(match_run, _locale()) if match_run.is_finished else None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    return render_template("review/run.html", run=match_run, view=view, page=page, per_page=PER_PAGE,
                           approve_form=ApproveForm(), reject_form=RejectForm(), empty_form=EmptyForm())


@bp.get("/runs/<int:run_id>/status.json")
@official_required
def run_status(run_id: int):
    match_run = _run(run_id)
    return jsonify({"id": match_run.id, "status": match_run.status, "progress": match_run.progress,
                    "note": match_run.progress_note, "finished": match_run.is_finished,
                    "seconds": match_run.seconds})


@bp.post("/runs/<int:run_id>/rerun")
@official_required
def rerun(run_id: int):
    EmptyForm().validate_on_submit() or abort(400)
    match_run = _run(run_id)
    new_run = services.rerun(current_user, match_run, now=utcnow())
    db.session.commit()
    _launch(new_run)
    flash(_("Re-running with every decision taken so far."), "success")
    return redirect(url_for("review.run", run_id=new_run.id))


# ---------------------------------------------------------------- one project of a run: overrides

def _decision_form(match_run: MatchRun, project: Project) -> DecisionForm:
    form = DecisionForm()
    form.kind.choices = [(DecisionKind.PIN.value, _("Keep (pin) this pair")),
                         (DecisionKind.FORBID.value, _("Exclude (forbid) this pair"))]
    locale = _locale()
    bidders = list(db.session.scalars(select(Organization).join(Bid, Bid.organization_id == Organization.id)
                                      .where(Bid.project_id == project.id, Bid.status != BidStatus.WITHDRAWN)
                                      .distinct().order_by(Organization.id)))
    proposed_ids = {int(u["provider_id"]) for p in db.session.scalars(
        select(MatchProposal).where(MatchProposal.run_id == match_run.id, MatchProposal.project_id == project.id))
        for u in p.units if u.get("provider_id") is not None}
    providers = {o.id: o for o in bidders}
    providers.update({o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(proposed_ids)))})
    if not bidders and project.kind != "public_benefit":
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
                                     left=money(p.remaining_cents))) for p in pools]
    form.target.choices = choices
    lots = db.session.scalars(select(Lot).where(Lot.project_id == project.id).order_by(Lot.seq)).all()
    form.lot_id.choices = [("", _("Every lot"))] + [(lot.id, f"{lot.seq}. {lot.tr('title', locale)}") for lot in lots]
    return form


@bp.get("/runs/<int:run_id>/projects/<int:project_id>")
@official_required
def run_project(run_id: int, project_id: int):
    match_run = _run(run_id)
    if project_id not in match_run.parameters.get("project_ids", []):
        abort(404)
    project = db.get_or_404(Project, project_id)
    view = services.run_view(match_run, _locale()) if match_run.is_finished else None
    proposal = next((p for p in view.proposals if p.project.id == project_id), None) if view else None
    unmatched = [u for u in view.unmatched if u.project and u.project.id == project_id] if view else []
    decisions = [d for d in services.decisions_for([project_id])]
    return render_template("review/run_project.html", run=match_run, project=project, proposal=proposal,
                           unmatched=unmatched, decisions=decisions, form=_decision_form(match_run, project),
                           governs=services.governs(current_user, project), approve_form=ApproveForm(),
                           reject_form=RejectForm(), empty_form=EmptyForm())


@bp.post("/runs/<int:run_id>/projects/<int:project_id>/decisions")
@official_required
def decide(run_id: int, project_id: int):
    match_run = _run(run_id)
    project = db.get_or_404(Project, project_id)
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
@official_required
def revoke(decision_id: int):
    EmptyForm().validate_on_submit() or abort(400)
    decision = db.get_or_404(MatchDecision, decision_id)
    services.revoke_decision(current_user, decision, now=utcnow())
    db.session.commit()
    flash(_("Decision revoked."), "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("review.console"))


# ---------------------------------------------------------------- approving and rejecting

def _proposal(proposal_id: int) -> MatchProposal:
    proposal = db.get_or_404(MatchProposal, proposal_id)
    if not services.can_see_run(current_user, proposal.run):
        abort(404)
    return proposal


@bp.post("/proposals/<int:proposal_id>/approve")
@official_required
def approve(proposal_id: int):
    proposal = _proposal(proposal_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("review.run", run_id=proposal.run_id))
    try:
        award = awards.approve_proposal(current_user, proposal, reason=form.reason.data or "", now=utcnow(),
                                        notice_days=form.notice_days.data)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    flash(_("Approved. The award is published for objections until %(when)s.",
            when=award.notice_ends_at.strftime("%Y-%m-%d")), "success")
    return redirect(url_for("review.award", award_id=award.id))


@bp.post("/proposals/<int:proposal_id>/reject")
@official_required
def reject(proposal_id: int):
    proposal = _proposal(proposal_id)
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
def award_index():
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    status = request.args.get("status", "")
    if status and status not in [s.value for s in AwardStatus]:
        abort(400)
    page = run_listing(Award, awards.public_awards(AwardStatus(status) if status else None),
                       ListingArgs(page=page_number, per_page=20),
                       order_by=(Award.approved_at.desc(), Award.id.desc()), text_columns=())
    return render_template("review/awards.html", page=page, status=status, now=utcnow())


@bp.get("/awards/<int:award_id>")
def award(award_id: int):
    item = db.get_or_404(Award, award_id)
    governs = current_user.is_authenticated and services.governs(current_user, item.project)
    return render_template("review/award.html", award=item, contracts=awards.contracts_of(item),
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
@login_required
def object_to(award_id: int):
    item = db.get_or_404(Award, award_id)
    form = ObjectionForm()
    if not form.validate_on_submit():
        apply_field_errors(form, DomainError(_("Explain the objection (at least %(n)d characters).", n=10)))
        return render_template("review/award.html", award=item, contracts=awards.contracts_of(item),
                               commitments=awards.commitments_of(item), now=utcnow(),
                               governs=services.governs(current_user, item.project) if current_user.is_official else False,
                               objection_form=form, answer_form=AnswerForm(), names=_award_names(item)), 400
    awards.file_objection(current_user, item, form.text.data, now=utcnow())
    db.session.commit()
    flash(_("Objection filed. The officials will answer it publicly before any contract is signed."), "success")
    return redirect(url_for("review.award", award_id=item.id))


@bp.post("/objections/<int:objection_id>/answer")
@official_required
def answer(objection_id: int):
    objection = db.get_or_404(AwardObjection, objection_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("review.award", award_id=objection.award_id)), 303
    awards.answer_objection(current_user, objection, uphold=form.outcome.data == "uphold", answer=form.answer.data,
                            now=utcnow())
    db.session.commit()
    flash(_("Answer published."), "success")
    return redirect(url_for("review.award", award_id=objection.award_id))


# ---------------------------------------------------------------- contracts and milestones

@bp.get("/contracts/<int:contract_id>")
def contract(contract_id: int):
    item = db.get_or_404(Contract, contract_id)
    now = utcnow()
    return render_template("review/contract.html", contract=item, now=now,
                           manage=awards.can_manage_contract(current_user, item),
                           report=awards.can_report_on(current_user, item),
                           blockers=awards.signing_blockers(item, now),
                           award=db.session.get(Award, item.award_id) if item.award_id else None,
                           lot=db.session.get(Lot, item.lot_id) if item.lot_id else None,
                           empty_form=EmptyForm(), submit_form=MilestoneSubmitForm(),
                           return_form=MilestoneReturnForm())


@bp.post("/contracts/<int:contract_id>/sign")
@official_required
def sign(contract_id: int):
    EmptyForm().validate_on_submit() or abort(400)
    item = db.get_or_404(Contract, contract_id)
    awards.sign_contract(current_user, item, now=utcnow())
    db.session.commit()
    flash(_("Contract signed."), "success")
    return redirect(url_for("review.contract", contract_id=item.id))


def _milestone(milestone_id: int) -> Milestone:
    return db.get_or_404(Milestone, milestone_id)


def _to_contract(milestone: Milestone, message: str, category: str = "success", status: int = 302):
    flash(message, category)
    return redirect(url_for("review.contract", contract_id=milestone.contract_id)), status


@bp.post("/milestones/<int:milestone_id>/submit")
@login_required
def submit_milestone(milestone_id: int):
    milestone = _milestone(milestone_id)
    if not awards.can_report_on(current_user, milestone.contract):  # refused before the form is read
        abort(403)
    form = MilestoneSubmitForm()
    if not form.validate_on_submit():
        return _to_contract(milestone, _("Describe what was delivered."), "danger", 303)
    awards.submit_milestone(current_user, milestone, form.note.data, now=utcnow())
    db.session.commit()
    return _to_contract(milestone, _("Milestone reported. The responsible official will review it."))


@bp.post("/milestones/<int:milestone_id>/approve")
@official_required
def approve_milestone(milestone_id: int):
    EmptyForm().validate_on_submit() or abort(400)
    milestone = _milestone(milestone_id)
    awards.approve_milestone(current_user, milestone, now=utcnow())
    db.session.commit()
    return _to_contract(milestone, _("Milestone approved."))


@bp.post("/milestones/<int:milestone_id>/return")
@official_required
def return_milestone(milestone_id: int):
    milestone = _milestone(milestone_id)
    if not awards.can_manage_contract(current_user, milestone.contract):
        abort(403)
    form = MilestoneReturnForm()
    if not form.validate_on_submit():
        return _to_contract(milestone, _("Say what is missing."), "danger", 303)
    awards.return_milestone(current_user, milestone, form.reason.data, now=utcnow())
    db.session.commit()
    return _to_contract(milestone, _("Milestone sent back to the provider."))


# ---------------------------------------------------------------- dashboard helpers

bp.add_app_template_global(status_label, "status_label")


@bp.app_template_global("review_work")
def review_work() -> dict[str, object]:
    """Counts and items for an official's dashboard."""
    if not current_user.is_authenticated or not current_user.is_official:
        return {}
    from market.bids.services import projects_awaiting_opening

    now = utcnow()
    return {
        "awaiting_opening": db.session.scalars(projects_awaiting_opening(current_user, now).limit(10)).all(),
        "evaluating": db.session.scalar(select(func.count()).select_from(
            services.matchable_query(current_user, "evaluating").subquery())),
        "milestones": db.session.scalars(awards.pending_approvals(current_user).limit(10)).all(),
        "objections": db.session.scalars(awards.open_objections(current_user).limit(10)).all(),
        "signable": [c for c in db.session.scalars(
            select(Contract).where(Contract.status == "in_notice", Contract.notice_ends_at <= now)
            .order_by(Contract.notice_ends_at).limit(50)) if services.governs(current_user, c.project)
            and not awards.signing_blockers(c, now)][:10],
    }


@bp.app_template_global("provider_contracts")
def provider_contracts() -> list[Contract]:
    if not current_user.is_authenticated or current_user.role != Role.PROVIDER or not current_user.organization_id:
        return []
    return list(db.session.scalars(select(Contract).where(Contract.provider_id == current_user.organization_id)
                                   .order_by(Contract.id.desc()).limit(20)))



