"""The in-app notification list, each user's notification settings, one-click unsubscribe and the
officials' list of messages that could not be delivered."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from market.core.db import db
from market.core.errors import DomainError
from market.extensions import csrf
from market.notifications import services
from market.notifications.forms import ConfirmForm, field_name, preferences_form
from market.notifications.models import Notification, OutboxMessage
from market.ui.forms import apply_field_errors, require_form
from market.ui.guard import guard, public
from market.ui.listing import Page, parse_listing_args
from market.ui.safety import safe_next_url

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_template_global()
def unread_notification_count() -> int:
    return services.unread_count(current_user) if current_user.is_authenticated else 0


@bp.app_template_global()
def notification_text(notification: Notification) -> str:
    return services.render(notification.kind, notification.params, str(get_locale() or "zh"))


@bp.get("/")
@guard("notifications.read")
def index():
    listing = parse_listing_args(request.args)
    stmt = services.notifications_of(current_user)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = db.session.scalars(stmt.limit(listing.per_page).offset((listing.page - 1) * listing.per_page)).all()
    return render_template("notifications/index.html", page=Page(list(items), total, listing.page, listing.per_page))


@bp.post("/<int:notification_id>/open")
@guard("notification.open", Notification, "notification_id", conceal=True)
def open_(notification: Notification):
    services.mark_read(current_user, notification)
    db.session.commit()
    return redirect(safe_next_url(notification.link) or url_for("notifications.index"))


@bp.post("/read")
@guard("notifications.read")
def read_all():
    services.mark_all_read(current_user)
    db.session.commit()
    flash(_("All notifications marked as read."), "success")
    return redirect(url_for("notifications.index"))


# ---------------------------------------------------------------- settings

@bp.route("/preferences", methods=["GET", "POST"])
@guard("notifications.preferences")
def preferences():
    lines = services.preferences_of(current_user)
    form = preferences_form(lines)
    status = 200
    if form.validate_on_submit():
        try:
            services.save_preferences(current_user, form.choices(line.kind for line in lines))
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            status = error.status_code
        else:
            db.session.commit()
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.preferences"))
    elif form.errors:
        status = 400
    return render_template("notifications/preferences.html", form=form, lines=lines, field_name=field_name,
                           has_phone=bool(current_user.phone)), status


# ---------------------------------------------------------------- one-click unsubscribe (RFC 8058)

def _unsubscription(token: str) -> services.Unsubscription:
    days = current_app.config["UNSUBSCRIBE_MAX_AGE_DAYS"]
    return services.read_unsubscribe_token(current_app.config["SECRET_KEY"], token, max_age_seconds=days * 86400)


@bp.get("/unsubscribe/<token>")
@public
def unsubscribe(token: str):
    """The link in an e-mail: a page that asks for confirmation (mail scanners open links; only a POST acts)."""
    unsubscription = _unsubscription(token)
    return render_template("notifications/unsubscribe.html", form=ConfirmForm(),
                           kind_label=services.kind_label(unsubscription.kind), done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # mail programs post here without a form (List-Unsubscribe-Post); the signed token authorises
@public
def unsubscribe_confirm(token: str):
    """Turn off e-mails of the token's kind for the token's user, without logging in."""
    unsubscription = _unsubscription(token)
    services.unsubscribe(unsubscription)
    db.session.commit()
    return render_template("notifications/unsubscribe.html", form=None,
                           kind_label=services.kind_label(unsubscription.kind), done=True)


# ---------------------------------------------------------------- undelivered messages

@bp.get("/undelivered")
@guard("notifications.dead_letters")
def dead_letters():
    listing = parse_listing_args(request.args)
    stmt = services.dead_letters(current_user)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = db.session.scalars(stmt.limit(listing.per_page).offset((listing.page - 1) * listing.per_page)).all()
    return render_template("notifications/dead_letters.html", form=ConfirmForm(),
                           page=Page(list(items), total, listing.page, listing.per_page))


@bp.post("/undelivered/<int:message_id>/retry")
@guard("notifications.dead_letters", OutboxMessage, "message_id")
def retry(message: OutboxMessage):
    require_form(ConfirmForm())
    services.retry_dead_letter(current_user, message)
    db.session.commit()
    flash(_("The message is back in the outbox and will be sent again."), "success")
    return redirect(url_for("notifications.dead_letters"))


@bp.post("/undelivered/<int:message_id>/discard")
@guard("notifications.dead_letters", OutboxMessage, "message_id")
def discard(message: OutboxMessage):
    require_form(ConfirmForm())
    services.discard_dead_letter(current_user, message)
    db.session.commit()
    flash(_("The message is discarded."), "success")
    return redirect(url_for("notifications.dead_letters"))
