"""Pages of the evaluation stage. Thin: rules live in :mod:`market.panels.services`."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.bids.services import tender_of
from market.core import policy
from market.core.db import db, utcnow
from market.core.errors import DomainError
from market.geo.services import category_choices
from market.orgs.models import Organization
from market.panels import services
from market.panels.forms import (
    AnswerForm,
    ComplaintForm,
    DrawForm,
    EmploymentForm,
    EmptyForm,
    ExpertForm,
    RedrawForm,
    RelationshipForm,
    score_sheet_form,
)
from market.panels.models import Expert, ExpertEmployment, ExpertRelationship, PanelDraw
from market.projects.models import Project
from market.ui.forms import apply_field_errors, handle_form, saved
from market.ui.guard import guard, public
from market.ui.security import MAX_ID

bp = Blueprint("panels", __name__, url_prefix="/panels")


@bp.app_template_global("evaluation_panel")
def evaluation_panel(project: Project) -> dict[str, object]:
    """What a project's page shows of its evaluation: the published candidate notice (everyone) and
    whether the viewer runs the evaluation."""
    return {"notice": services.current_notice(project),
            "manages": project.bid_deadline is not None and policy.can(current_user, "evaluation.manage", project)}


def _organisation_choices() -> list[tuple[int | str, str]]:
    rows = db.session.execute(select(Organization.id, Organization.name).order_by(Organization.name, Organization.id))
    return [("", "—")] + [(org_id, name) for org_id, name in rows]


# ---------------------------------------------------------------- the expert pool

@bp.get("/experts")
@guard("experts.manage")
def experts():
    category_id = request.args.get("category", type=int)
    if category_id is not None and not 1 <= category_id <= MAX_ID:
        abort(400)
    text = request.args.get("q", "")[:50]
    rows = db.session.scalars(services.experts_query(current_user, category_id=category_id, text=text).limit(500)).all()
    return render_template("panels/experts.html", experts=rows, categories=category_choices(),
                           category_id=category_id, text=text)


def _expert_form(expert: Expert | None) -> ExpertForm:
    form = ExpertForm(obj=expert) if expert is not None and request.method == "GET" else ExpertForm()
    form.category_ids.choices = category_choices()
    form.organization_id.choices = _organisation_choices()
    if expert is not None and request.method == "GET":
        form.category_ids.data = [c.id for c in expert.categories]
        form.user_email.data = expert.user.email if expert.user else ""
    return form


def _expert_input(form: ExpertForm) -> services.ExpertInput:
    return services.ExpertInput(
        name=form.name.data or "", name_en=form.name_en.data or "", title=form.title.data or "",
        title_en=form.title_en.data or "", phone=form.phone.data or "", category_ids=tuple(form.category_ids.data or ()),
        organization_id=form.organization_id.data, user_email=form.user_email.data or "",
        is_active=bool(form.is_active.data))


@bp.route("/experts/new", methods=["GET", "POST"])
@guard("experts.manage")
def new_expert():
    form = _expert_form(None)
    return handle_form(form, "panels/expert_form.html", lambda: services.create_expert(current_user, _expert_input(form)),
                       lambda expert: saved(_("Expert added to the pool."),
                                            url_for("panels.edit_expert", expert_id=expert.id)),
                       expert=None)


def _expert_page(expert: Expert, form: ExpertForm, employment_form: EmploymentForm | None = None,
                 relationship_form: RelationshipForm | None = None, status: int = 200):
    employment_form = employment_form or EmploymentForm(formdata=None)
    relationship_form = relationship_form or RelationshipForm(formdata=None)
    choices = _organisation_choices()
    employment_form.organization_id.choices = relationship_form.organization_id.choices = choices
    return render_template("panels/expert_form.html", form=form, expert=expert, employment_form=employment_form,
                           relationship_form=relationship_form, remove_form=EmptyForm()), status


@bp.route("/experts/<int:expert_id>/edit", methods=["GET", "POST"])
@guard("experts.manage", Expert, "expert_id")
def edit_expert(expert: Expert):
    form = _expert_form(expert)
    if form.validate_on_submit():
        try:
            services.update_expert(current_user, expert, _expert_input(form))
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            return _expert_page(expert, form, status=error.status_code)
        db.session.commit()
        return saved(_("Expert saved."), url_for("panels.edit_expert", expert_id=expert.id))
    return _expert_page(expert, form, status=400 if form.errors else 200)


def _sub_form(expert: Expert, form_class, operation, message: str, which: str):
    form = form_class()
    form.organization_id.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            operation(form)
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            return _expert_page(expert, _expert_form(expert), status=error.status_code, **{which: form})
        db.session.commit()
        return saved(message, url_for("panels.edit_expert", expert_id=expert.id))
    return _expert_page(expert, _expert_form(expert), status=400, **{which: form})


@bp.post("/experts/<int:expert_id>/employments")
@guard("experts.manage", Expert, "expert_id")
def add_employment(expert: Expert):
    return _sub_form(expert, EmploymentForm, lambda form: services.add_employment(
        current_user, expert, services.EmploymentInput(form.organization_id.data, form.started_on.data,
                                                       form.ended_on.data)),
        _("Employment added."), "employment_form")


@bp.post("/experts/<int:expert_id>/relationships")
@guard("experts.manage", Expert, "expert_id")
def add_relationship(expert: Expert):
    return _sub_form(expert, RelationshipForm, lambda form: services.add_relationship(
        current_user, expert, form.organization_id.data, form.note.data or ""),
        _("Relationship recorded."), "relationship_form")


@bp.post("/employments/<int:employment_id>/delete")
@guard("experts.manage", ExpertEmployment, "employment_id")
def remove_employment(employment: ExpertEmployment):
    if not EmptyForm().validate_on_submit():
        abort(400)
    expert_id = employment.expert_id
    services.remove_employment(current_user, employment)
    db.session.commit()
    return saved(_("Employment removed."), url_for("panels.edit_expert", expert_id=expert_id))


@bp.post("/relationships/<int:relationship_id>/delete")
@guard("experts.manage", ExpertRelationship, "relationship_id")
def remove_relationship(relationship: ExpertRelationship):
    if not EmptyForm().validate_on_submit():
        abort(400)
    expert_id = relationship.expert_id
    services.remove_relationship(current_user, relationship)
    db.session.commit()
    return saved(_("Relationship removed."), url_for("panels.edit_expert", expert_id=expert_id))


# ---------------------------------------------------------------- the official's evaluation page

def _evaluation_page(project: Project, *, draw_form: DrawForm | None = None, redraw_form: RedrawForm | None = None,
                     status: int = 200):
    draw = services.current_draw(project)
    evaluation = services.current_evaluation(project)
    redraw_form = redraw_form or RedrawForm(formdata=None)
    members = services.experts_by_id(draw.member_ids) if draw else {}
    redraw_form.replaced_ids.choices = [(m, members[m].name if m in members else str(m))
                                        for m in (draw.member_ids if draw else [])]
    notices = services.notices_of(project)
    complaints = [c for n in notices for c in n.complaints]
    return render_template(
        "panels/evaluation.html", project=project, tender=tender_of(project), draw=draw, members=members,
        draw_form=draw_form or DrawForm(formdata=None), redraw_form=redraw_form, evaluation=evaluation,
        results=services.evaluation_results(evaluation) if evaluation else [], notices=notices,
        complaints=complaints, answer_form=AnswerForm(formdata=None), button=EmptyForm(),
        blockers=services.award_blockers(project, utcnow()), bids=services.valid_bids(project),
        excluded_experts=services.experts_by_id(e["expert_id"] for e in (draw.excluded if draw else [])),
        conflicts=services.CONFLICTS, two_places=services.two_places), status


@bp.get("/projects/<int:project_id>")
@guard("evaluation.manage", Project, "project_id")
def evaluation(project: Project):
    return _evaluation_page(project)


def _acted(project: Project, form, operation, message: str, form_name: str):
    if not form.validate_on_submit():
        return _evaluation_page(project, status=400, **{form_name: form})
    try:
        operation()
    except DomainError as error:
        db.session.rollback()
        apply_field_errors(form, error)
        return _evaluation_page(project, status=error.status_code, **{form_name: form})
    db.session.commit()
    return saved(message, url_for("panels.evaluation", project_id=project.id))


@bp.post("/projects/<int:project_id>/draw")
@guard("evaluation.manage", Project, "project_id")
def draw(project: Project):
    form = DrawForm()
    return _acted(project, form, lambda: services.draw_panel(current_user, project, form.size.data,
                                                             fallback_reason=form.fallback_reason.data or "",
                                                             now=utcnow()),
                  _("Panel drawn. The draw can be verified by anyone from its public record."), "draw_form")


@bp.post("/projects/<int:project_id>/redraw")
@guard("evaluation.manage", Project, "project_id")
def redraw(project: Project):
    form = RedrawForm()
    current = services.current_draw(project)
    form.replaced_ids.choices = [(m, str(m)) for m in (current.member_ids if current else [])]
    return _acted(project, form, lambda: services.redraw_panel(current_user, project, form.replaced_ids.data or [],
                                                               form.reason.data or "",
                                                               fallback_reason=form.fallback_reason.data or "",
                                                               now=utcnow()),
                  _("Panel members replaced by a new draw."), "redraw_form")


@bp.route("/projects/<int:project_id>/scores", methods=["GET", "POST"])
@guard("evaluation.manage", Project, "project_id")
def scores(project: Project):
    draw = services.current_draw(project)
    tender = tender_of(project)
    if draw is None or tender is None:
        flash(_("Draw the panel first."), "warning")
        return redirect(url_for("panels.evaluation", project_id=project.id))
    bids = services.valid_bids(project)
    criteria = tender.criteria
    evaluation = services.current_evaluation(project)
    values, reasons = {}, {}
    if evaluation is not None and evaluation.draw_id == draw.id:
        values = {(s.bid_id, s.expert_id, s.criterion): s.score for s in evaluation.scores}
        reasons = {r.bid_id: r.text for r in evaluation.reasons}
    form = score_sheet_form([b.id for b in bids], draw.member_ids, len(criteria), values, reasons)

    def operation():
        sheet = services.ScoreSheet(
            scores={(b.id, m, c): getattr(form, services.score_field(b.id, m, c)).data
                    for b in bids for m in draw.member_ids for c in range(len(criteria))},
            reasons={b.id: getattr(form, services.reason_field(b.id)).data or "" for b in bids})
        return services.record_scores(current_user, project, sheet, now=utcnow())

    return handle_form(form, "panels/scores.html", operation,
                       lambda _e: saved(_("The panel's scores are recorded."),
                                        url_for("panels.evaluation", project_id=project.id)),
                       project=project, bids=bids, criteria=criteria, members=services.experts_by_id(draw.member_ids),
                       member_ids=draw.member_ids, score_field=services.score_field,
                       reason_field=services.reason_field)


@bp.post("/projects/<int:project_id>/notice")
@guard("evaluation.manage", Project, "project_id")
def publish(project: Project):
    if not EmptyForm().validate_on_submit():
        abort(400)
    notice = services.publish_notice(current_user, project, now=utcnow())
    db.session.commit()
    flash(_("Candidate notice published; bidders may complain until %(when)s.",
            when=notice.window_ends_at.strftime("%Y-%m-%d")), "success")
    return redirect(url_for("panels.notice", project_id=project.id))


@bp.post("/projects/<int:project_id>/complaints/<int:complaint_id>/answer")
@guard("complaint.answer", Project, "project_id")
def answer(project: Project, complaint_id: int):
    complaint = services.complaint_of(project, complaint_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_("Write the answer (at least %(n)d characters); it is published.", n=5), "danger")
        return redirect(url_for("panels.evaluation", project_id=project.id)), 303
    services.answer_complaint(current_user, complaint, uphold=form.outcome.data == "uphold", answer=form.answer.data,
                              now=utcnow())
    db.session.commit()
    flash(_("Answer published."), "success")
    return redirect(url_for("panels.evaluation", project_id=project.id))


# ---------------------------------------------------------------- public pages

def _notice_page(project: Project, form: ComplaintForm | None = None, status: int = 200):
    now = utcnow()
    return render_template("panels/notice.html", project=project, notices=services.notices_of(project),
                           draw=services.current_draw(project), now=now,
                           can_complain=services.can_complain(current_user, project, now),
                           form=form or ComplaintForm(formdata=None)), status


@bp.get("/projects/<int:project_id>/notice")
@public
def notice(project_id: int):
    project = db.get_or_404(Project, project_id)
    if not project.policy_scope().public:
        abort(404)
    return _notice_page(project)


@bp.post("/projects/<int:project_id>/complaints")
@guard("complaint.file", Project, "project_id")
def complain(project: Project):
    form = ComplaintForm()
    if not form.validate_on_submit():
        return _notice_page(project, form, 400)
    try:
        services.file_complaint(current_user, project, form.text.data, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        apply_field_errors(form, error)
        return _notice_page(project, form, error.status_code)
    db.session.commit()
    return saved(_("Complaint filed. The answer will be published on this page."),
                 url_for("panels.notice", project_id=project.id))


@bp.get("/draws/<int:draw_id>/verify")
@public
def verify(draw_id: int):
    draw = db.get_or_404(PanelDraw, draw_id)
    if not (services.draw_is_public(draw) or policy.can(current_user, "evaluation.manage", draw.project)):
        abort(404)
    check = services.verify_draw(draw)
    return render_template("panels/verify.html", draw=draw, check=check, conflicts=services.CONFLICTS)
