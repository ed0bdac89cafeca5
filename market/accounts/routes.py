from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from market.accounts import services
from market.accounts.forms import ChangePasswordForm, ContactForm, LoginForm, RegisterForm
from market.accounts.models import Role, User
from market.core.db import db
from market.core.errors import DomainError
from market.extensions import limiter, login_manager
from market.geo.models import Community
from market.geo.services import community_choices
from market.ui.forms import apply_field_errors, handle_form
from market.ui.guard import guard, public
from market.ui.safety import safe_next_url

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return services.session_user(session_id)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, address=request.remote_addr or "")
        except DomainError as error:
            db.session.commit()  # keep the failed-attempt count
            flash(str(error.message), "danger")
            return render_template("accounts/login.html", form=form), error.status_code
        login_user(user)
        if session.get("lang"):  # a language chosen before logging in is the user's choice too
            services.remember_language(user, session["lang"])
        db.session.commit()
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(safe_next_url(request.args.get("next")) or url_for("web.dashboard"))
    return render_template("accounts/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@guard("account.view_own")
def logout():
    """Log out everywhere: every session of the account ends, on this device and all others."""
    services.log_out(current_user)
    db.session.commit()
    logout_user()
    flash(_("You have logged out on every device."), "info")
    return redirect(url_for("web.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@guard("account.view_own")
def change_password():
    form = ChangePasswordForm()

    def done(user: User):
        login_user(user)  # this device keeps its session under the new session version
        flash(_("Your password is changed; every other device is logged out."), "success")
        return redirect(url_for("web.dashboard"))

    return handle_form(form, "accounts/password.html",
                       lambda: services.change_password(current_user, form.current.data, form.password.data), done)


@bp.route("/account/contact", methods=["GET", "POST"])
@guard("account.view_own")
def contact():
    """The mobile number SMS notices go to."""
    form = ContactForm(data={"phone": current_user.phone} if request.method == "GET" else None)

    def done(user: User):
        flash(_("Your mobile number is saved."), "success")
        return redirect(url_for("notifications.preferences"))

    return handle_form(form, "accounts/contact.html", lambda: services.set_phone(current_user, form.phone.data or ""),
                       done)


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    form = RegisterForm()
    form.community_id.choices = [(0, "—")] + community_choices()
    if form.validate_on_submit():
        community = db.session.get(Community, form.community_id.data) if form.community_id.data else None
        try:
            user = services.register_user(email=form.email.data, display_name=form.display_name.data,
                                          password=form.password.data, role=Role(form.role.data),
                                          community=community, language=str(get_locale() or ""))
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            return render_template("accounts/register.html", form=form), error.status_code
        db.session.commit()
        login_user(user)
        flash(_("Your account is ready."), "success")
        if user.role == Role.RESIDENT:
            flash(_("An official of your street will verify that you live in your community before you can vote."), "info")
        return redirect(url_for("web.dashboard"))
    return render_template("accounts/register.html", form=form), 400 if form.errors else 200


@bp.get("/officials/residents")
@guard("resident.review")
def residents_queue():
    residents = db.session.scalars(services.residents_awaiting_verification(current_user).limit(200)).all()
    return render_template("accounts/residents_queue.html", residents=residents)


@bp.post("/officials/residents/<int:user_id>/verify")
@guard("resident.verify", User, "user_id")
def verify_resident(user: User):
    services.verify_resident(current_user, user)
    db.session.commit()
    flash(_("%(name)s is verified.", name=user.display_name), "success")
    return redirect(url_for("accounts.residents_queue"))


@bp.get("/admin/users")
@guard("account.admin")
def users():
    users = db.session.scalars(select(User).order_by(User.id).limit(500)).all()
    return render_template("accounts/users.html", users=users)


@bp.post("/admin/users/<int:user_id>/disabled")
@guard("account.admin", User, "user_id")
def set_disabled(user: User):
    services.set_disabled(current_user, user, request.form.get("disabled") == "1")
    db.session.commit()
    flash(_("Account updated."), "success")
    return redirect(url_for("accounts.users"))
