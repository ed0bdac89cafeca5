from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.core.db import db
from market.geo.models import ProjectType
from market.geo.services import category_choices, community_choices, street_choices
from market.orgs.models import Organization
from market.orgs.signals import profile_sections
from market.projects import services
from market.projects.forms import ProjectForm
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.ui.formatting import enum_label
from market.ui.forms import handle_form, saved
from market.ui.guard import guard, public
from market.ui.replica import replica_reads
from market.ui.sections import Section

bp = Blueprint("projects", __name__, url_prefix="/projects")


@profile_sections.connect
def _organisation_projects(org: Organization, **_kwargs) -> Section | None:
    projects = db.session.scalars(select(Project).where(Project.organization_id == org.id,
                                                        Project.status != ProjectStatus.DRAFT)
                                  .order_by(Project.created_at.desc()).limit(20)).all()
    return Section("projects/_org_projects.html", {"projects": projects}, order=10) if projects else None


@bp.get("/")
@replica_reads
@public
def index():
    listing = services.parse_project_listing(request.args)
    page = services.list_projects(listing)
    return render_template("projects/index.html", page=page, listing=listing,
                           categories=category_choices(), streets=street_choices(),
                           communities=community_choices(listing.filters.get("street_id")),
                           statuses=services.PUBLIC_STATUSES, kinds=list(ProjectKind), types=list(ProjectType),
                           sorts=services.PROJECT_SORTS)


@bp.get("/<int:project_id>")
@replica_reads
@guard("project.view", Project, "project_id", conceal=True)
def detail(project: Project):
    editable = services.can_edit(current_user, project)
    return render_template("projects/detail.html", project=project, editable=editable,
                           next_statuses=services.manual_targets(project) if editable else [],
                           lifecycle=services.LIFECYCLE)


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
@guard("project.create")
def create():
    if not services.allowed_kinds(current_user):
        abort(403)
    form = _build_form()
    return handle_form(form, "projects/form.html", lambda: services.create_project(current_user, _input_from(form)),
                       lambda project: saved(_("Draft saved. Publish it when it is ready."),
                                             url_for("projects.detail", project_id=project.id)), project=None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@guard("project.edit", Project, "project_id")
def edit(project: Project):
    form = _build_form(project)
    return handle_form(form, "projects/form.html", lambda: services.update_project(current_user, project, _input_from(form)),
                       lambda _saved: saved(_("Project saved."), url_for("projects.detail", project_id=project.id)),
                       project=project)


@bp.post("/<int:project_id>/status")
@guard("project.edit", Project, "project_id")
def change_status(project: Project):
    try:
        target = ProjectStatus(request.form.get("status", ""))
    except ValueError:
        abort(400)
    services.change_status(current_user, project, target)
    db.session.commit()
    flash(_("Status changed to %(status)s.", status=enum_label(target)), "success")
    return redirect(url_for("projects.detail", project_id=project.id))
