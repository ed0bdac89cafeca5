"""Contract pages: signing, milestones reported and accepted, third-party evaluation reports.

The paths stay under ``/review/`` where award notices have always linked to them.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.models import Role
from market.bids.models import Lot
from market.contracts import services
from market.contracts.forms import EmptyForm, EvaluationForm, MilestoneReturnForm, MilestoneSubmitForm
from market.contracts.models import Contract, ContractEvaluation, EvaluationConclusion, Milestone
from market.contracts.services import MAX_REPORT_BYTES, Upload
from market.core.db import db, utcnow
from market.ui.export import stored_file
from market.ui.forms import handle_form, require_form, saved
from market.ui.guard import guard, public

bp = Blueprint("contracts", __name__, url_prefix="/review")
MAX_EVALUATORS = 500


@bp.get("/contracts/<int:contract_id>")
@public
def contract(contract_id: int):
    item = db.get_or_404(Contract, contract_id)
    now = utcnow()
    return render_template("contracts/contract.html", contract=item, now=now,
                           manage=services.can_manage_contract(current_user, item),
                           report=services.can_report_on(current_user, item),
                           blockers=services.signing_blockers(item, now),
                           lot=db.session.get(Lot, item.lot_id) if item.lot_id else None,
                           can_download=lambda e: services.can_download_report(current_user, e),
                           empty_form=EmptyForm(), submit_form=MilestoneSubmitForm(),
                           return_form=MilestoneReturnForm())


@bp.post("/contracts/<int:contract_id>/sign")
@guard("contract.manage", Contract, "contract_id")
def sign(contract: Contract):
    require_form(EmptyForm())
    item = contract
    services.sign_contract(current_user, item, now=utcnow())
    db.session.commit()
    flash(_("Contract signed."), "success")
    return redirect(url_for("contracts.contract", contract_id=item.id))


def _to_contract(milestone: Milestone, message: str, category: str = "success", status: int = 302):
    flash(message, category)
    return redirect(url_for("contracts.contract", contract_id=milestone.contract_id)), status


@bp.post("/milestones/<int:milestone_id>/submit")
@guard("contract.report", Milestone, "milestone_id")
def submit_milestone(milestone: Milestone):
    form = MilestoneSubmitForm()
    if not form.validate_on_submit():
        return _to_contract(milestone, _("Describe what was delivered."), "danger", 303)
    services.submit_milestone(current_user, milestone, form.note.data, now=utcnow())
    db.session.commit()
    return _to_contract(milestone, _("Milestone reported. The responsible official will review it."))


@bp.post("/milestones/<int:milestone_id>/approve")
@guard("contract.manage", Milestone, "milestone_id")
def approve_milestone(milestone: Milestone):
    require_form(EmptyForm())
    services.approve_milestone(current_user, milestone, now=utcnow())
    db.session.commit()
    return _to_contract(milestone, _("Milestone approved."))


@bp.post("/milestones/<int:milestone_id>/return")
@guard("contract.manage", Milestone, "milestone_id")
def return_milestone(milestone: Milestone):
    form = MilestoneReturnForm()
    if not form.validate_on_submit():
        return _to_contract(milestone, _("Say what is missing."), "danger", 303)
    services.return_milestone(current_user, milestone, form.reason.data, now=utcnow())
    db.session.commit()
    return _to_contract(milestone, _("Milestone sent back to the provider."))


# ---------------------------------------------------------------- third-party evaluation (第三方评估)

def _report_upload(storage) -> Upload | None:
    if storage is None or not getattr(storage, "filename", ""):
        return None
    try:
        return Upload(storage.filename, storage.stream.read(MAX_REPORT_BYTES + 1))
    finally:
        storage.close()  # a large upload is spooled to a temporary file: let it go now


@bp.route("/milestones/<int:milestone_id>/evaluation", methods=["GET", "POST"])
@guard("contract.manage", Milestone, "milestone_id")
def evaluate_milestone(milestone: Milestone):
    """Accept a reported milestone with a third-party evaluator's report and conclusion."""
    item = milestone.contract
    form = EvaluationForm()
    locale = str(get_locale() or "zh")
    candidates = db.session.scalars(services.evaluator_candidates(current_user, item).limit(MAX_EVALUATORS))
    form.evaluator_org_id.choices = [("", _("Not registered here"))] + [
        (org.id, org.tr("name", locale)) for org in candidates]

    def operation() -> ContractEvaluation | None:
        data = services.EvaluationInput(
            conclusion=form.conclusion.data or "", summary=form.summary.data or "",
            report=_report_upload(form.report.data), evaluator_org_id=form.evaluator_org_id.data,
            evaluator_name=form.evaluator_name.data or "", evaluator_credit_code=form.evaluator_credit_code.data or "")
        return services.accept_milestone(current_user, milestone, data, storage_root=current_app.instance_path,
                                         now=utcnow())

    def on_success(evaluation: ContractEvaluation | None):
        if evaluation is not None and evaluation.conclusion == EvaluationConclusion.FAIL:
            return saved(_("Evaluation recorded. It failed: the milestone goes back to the provider."),
                         url_for("contracts.contract", contract_id=item.id))
        return saved(_("Evaluation recorded and milestone accepted."),
                     url_for("contracts.contract", contract_id=item.id))

    return handle_form(form, "contracts/evaluation.html", operation, on_success, milestone=milestone, contract=item)


@bp.get("/evaluations/<int:evaluation_id>/report")
@guard("evaluation.download", ContractEvaluation, "evaluation_id")
def evaluation_report(evaluation: ContractEvaluation):
    return stored_file(services.evaluation_report_path(current_app.instance_path, evaluation),
                       content_type=evaluation.content_type, filename=evaluation.filename)


# ---------------------------------------------------------------- dashboard helpers

@bp.app_template_global("provider_contracts")
def provider_contracts() -> list[Contract]:
    if not current_user.is_authenticated or current_user.role != Role.PROVIDER or not current_user.organization_id:
        return []
    return services.contracts_of_provider(current_user.organization_id)

