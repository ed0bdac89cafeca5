"""Jinja filters and labels shared by every template."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from flask import request, url_for
from flask_babel import format_date, format_datetime, lazy_gettext as _l

from market.accounts.models import Role
from market.geo.models import ProjectType
from market.orgs.models import OrgKind, VerificationState
from market.projects.models import ProjectKind, ProjectStatus

ENUM_LABELS: dict[Enum, object] = {
    Role.RESIDENT: _l("Resident"),
    Role.PROVIDER: _l("Provider"),
    Role.FUNDER: _l("Funder"),
    Role.OFFICIAL: _l("Official"),
    Role.ADMIN: _l("Administrator"),
    ProjectType.SERVICE: _l("Service"),
    ProjectType.GOODS: _l("Goods"),
    ProjectType.WORKS: _l("Works"),
    OrgKind.SOCIAL_ORGANISATION: _l("Social organisation"),
    OrgKind.ENTERPRISE: _l("Enterprise"),
    OrgKind.FOUNDATION: _l("Foundation"),
    OrgKind.GOVERNMENT: _l("Government department"),
    VerificationState.PENDING: _l("Awaiting verification"),
    VerificationState.VERIFIED: _l("Verified"),
    VerificationState.REJECTED: _l("Verification refused"),
    ProjectKind.GOVERNMENT_SERVICE: _l("Government-purchased service"),
    ProjectKind.PUBLIC_BENEFIT: _l("Public-benefit project"),
    ProjectKind.MICRO: _l("Resident micro-project"),
    ProjectStatus.DRAFT: _l("Draft"),
    ProjectStatus.OPEN: _l("Open"),
    ProjectStatus.EVALUATING: _l("Evaluating"),
    ProjectStatus.AWARDED: _l("Awarded"),
    ProjectStatus.IN_PROGRESS: _l("In progress"),
    ProjectStatus.COMPLETED: _l("Completed"),
    ProjectStatus.CANCELLED: _l("Cancelled"),
}


def enum_label(value: Enum | str | None) -> str:
    """Translated label of an enum member (or its raw value when unknown)."""
    if value is None:
        return ""
    # StrEnum members hash like their values, so a raw string from the database finds its label too.
    label = ENUM_LABELS.get(value)
    return str(label) if label is not None else str(value)


def money(cents: int | None, with_symbol: bool = True) -> str:
    """Integer minor units as yuan with thousands separators: 12345600 → ¥123,456."""
    if cents is None:
        return ""
    yuan, fen = divmod(int(cents), 100)
    text = f"{yuan:,}" if not fen else f"{yuan:,}.{fen:02d}"
    return f"¥{text}" if with_symbol else text


def date_label(value: date | None) -> str:
    return format_date(value, "medium") if value else ""


def datetime_label(value: datetime | None) -> str:
    return format_datetime(value, "medium") if value else ""


def page_url(page: int) -> str:
    """The current listing URL with ``page`` replaced, keeping every filter."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)
