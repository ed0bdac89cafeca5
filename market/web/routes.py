from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, text

from market.accounts.models import Role, User
from market.accounts.services import remember_language, residents_awaiting_verification
from market.core.db import db
from market.funds.models import FundingPool
from market.orgs.models import Organization, OrgKind
from market.orgs.services import verification_queue
from market.projects.models import Project, ProjectStatus
from market.projects.services import PUBLIC_STATUSES, projects_of
from market.ui.display import remember_care_mode
from market.ui.guard import guard, public
from market.ui.safety import safe_next_url

bp = Blueprint("web", __name__)


@bp.get("/")
@public
def index():
    counts = {
        "projects": db.session.scalar(select(func.count(Project.id)).where(Project.status.in_(PUBLIC_STATUSES))),
        "providers": db.session.scalar(select(func.count(Organization.id)).where(
            Organization.kind.in_((OrgKind.SOCIAL_ORGANISATION, OrgKind.ENTERPRISE)))),
        "foundations": db.session.scalar(select(func.count(Organization.id)).where(Organization.kind == OrgKind.FOUNDATION)),
        "pool_remaining": db.session.scalar(select(func.coalesce(func.sum(FundingPool.remaining_cents), 0))
                                            .where(FundingPool.is_open)),
    }
    open_projects = db.session.scalars(select(Project).where(Project.status == ProjectStatus.OPEN)
                                       .order_by(Project.published_at.desc(), Project.id.desc()).limit(6)).all()
    return render_template("web/index.html", counts=counts, open_projects=open_projects)


@bp.get("/open-data")
@public
def open_data():
    """What the open-data exports contain and where to download them."""
    return render_template("web/open_data.html")


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    """The language switch: remembered in the session, then back to where the user was."""
    from flask import current_app

    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:  # their e-mails and SMS follow the language they last chose
            remember_language(current_user, code)
            db.session.commit()
    return redirect(safe_next_url(request.args.get("next")) or url_for("web.index"))


@bp.get("/care/<state>")
@public
def set_care_mode(state: str):
    """The care-mode switch (关怀模式) beside the language switch: ``on`` or ``off``, remembered in a
    cookie, then back to where the reader was."""
    if state not in ("on", "off"):
        abort(404)
    response = redirect(safe_next_url(request.args.get("next")) or url_for("web.index"))
    return remember_care_mode(response, state == "on")


@bp.get("/dashboard")
@guard("account.view_own")
def dashboard():
    user: User = current_user
    context: dict = {"my_projects": db.session.scalars(projects_of(user).limit(20)).all()}
    if user.organization_id:
        context["my_pools"] = db.session.scalars(
            select(FundingPool).where(FundingPool.funder_id == user.organization_id)).all()
    if user.role in (Role.OFFICIAL, Role.ADMIN):
        context["pending_orgs"] = db.session.scalar(select(func.count()).select_from(
            verification_queue(user).subquery()))
        context["pending_residents"] = db.session.scalar(
            select(func.count()).select_from(residents_awaiting_verification(user).subquery()))
    return render_template("web/dashboard.html", **context)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means the database did not answer
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest, so the site can be added to a phone's home screen (in the reader's language)."""
    body = {
        "name": _("Social Resource Exchange"),
        "short_name": _("Resource Exchange"),
        "lang": "zh-CN" if str(get_locale()) == "zh" else "en",
        "start_url": url_for("web.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#c8102e",
        "icons": [
            {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
             "type": "image/png", "purpose": "any"} for size in (192, 512)
        ] + [{"src": url_for("static", filename="icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers and bookmark tools ask for /favicon.ico whatever the page says."""
    return redirect(url_for("static", filename="icons/icon-32.png"), code=301)
