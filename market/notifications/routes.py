"""The in-app notification list."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from market.core.db import db
from market.notifications import services
from market.notifications.models import Notification
from market.ui.guard import guard
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
