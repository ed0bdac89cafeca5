from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.db import db
from market.geo.models import ProjectType
from market.geo.services import category_choices, community_choices, street_choices
from market.projects import services
from market.projects.forms import ProjectForm
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.web.formatting import enum_label
from market.web.forms import handle_form, saved

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.get("/")
def index():
    listing = services.parse_project_listing(request.args)
    page = services.list_projects(listing)
    return render_template("projects/index.html", page=page, listing=listing,
                           categories=category_choices(), streets=street_choices(),
                           communities=community_choices(listing.filters.get("street_id")),
                           statuses=services.PUBLIC_STATUSES, kinds=list(ProjectKind), types=list(ProjectType),
                           sorts=services.PROJECT_SORTS)


@bp.get("/<int:project_id>")
def detail(project_id: int):
    project = db.get_or_404(Project, project_id)
    if not services.can_view(current_user, project):
        abort(404)
    editable = current_user.is_authenticated and services.can_edit(current_user, project)
    return render_template("projects/detail.html", project=project, editable=editable,
                           next_statuses=[s for s in ProjectStatus if project.can_transition(s)
                                          and s in services.MANUAL_TARGETS] if editable else [])


def _build_form(project: Project | None = None) -> ProjectForm:
    form = ProjectForm(obj=project)
    kinds = services.allowed_kinds(current_user) if project is None else (ProjectKind(project.kind),)
    form.kind.choices = [(k.value, enum_label(k)) for k in kinds]
    form.category_id.choices = category_choices()
    form.street_id.choices = [("", _("Whole district"))] + street_choices()
    form.community_id.choices = [("", _("Whole street / district"))] + community_choices()
    form.localise_choices()
    if project is not None and request.method == "GET":
        form.budget.set_cents(project.budget_cents)
    return form


def _input_from(form: ProjectForm) -> services.ProjectInput:
    return services.ProjectInput(
        kind=ProjectKind(form.kind.data), title=form.title.data.strip(), title_en=(form.title_en.data or "").strip(),
        description=form.description.data, description_en=form.description_en.data or "",
        category_id=form.category_id.data, project_type=ProjectType(form.project_type.data),
        budget_cents=form.budget.cents or 0, street_id=form.street_id.data, community_id=form.community_id.data,
        start_date=form.start_date.data, end_date=form.end_date.data,
        min_rating_grade=form.min_rating_grade.data or 0, min_years_registered=form.min_years_registered.data or 0,
        min_staff=form.min_staff.data or 0, min_office_area_m2=form.min_office_area_m2.data or 0)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not services.allowed_kinds(current_user):
        abort(403)
    form = _build_form()
    return handle_form(form, "projects/form.html", lambda: services.create_project(current_user, _input_from(form)),
                       lambda project: saved(_("Draft saved. Publish it when it is ready."),
                                             url_for("projects.detail", project_id=project.id)), project=None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    project = db.get_or_404(Project, project_id)
    if not services.can_edit(current_user, project):
        abort(403)
    form = _build_form(project)
    return handle_form(form, "projects/form.html", lambda: services.update_project(current_user, project, _input_from(form)),
                       lambda _saved: saved(_("Project saved."), url_for("projects.detail", project_id=project.id)),
                       project=project)


@bp.post("/<int:project_id>/status")
@login_required
def change_status(project_id: int):
    project = db.get_or_404(Project, project_id)
    if not services.can_edit(current_user, project):
        abort(403)
    try:
        target = ProjectStatus(request.form.get("status", ""))
    except ValueError:
        abort(400)
    services.change_status(current_user, project, target)
    db.session.commit()
    flash(_("Status changed to %(status)s.", status=enum_label(target)), "success")
    return redirect(url_for("projects.detail", project_id=project.id))
