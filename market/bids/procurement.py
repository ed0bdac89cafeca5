"""Government-procurement rules that do not depend on bids: a district's thresholds, project numbers,
contact phones and what each procurement method requires of a tender.

Used by :mod:`market.bids.services`; each operation takes an explicit actor and ``now``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.bids.models import ProcurementMethod, ProcurementSettings, ProjectNumberCounter
from market.core import policy
from market.core.audit import record
from market.core.calendar import BEIJING
from market.core.db import db, utcnow
from market.core.errors import ValidationFailed
from market.core.money import money
from market.geo.models import District, Street
from market.geo.services import only_district_id
from market.orgs.models import Organization, OrgKind
from market.projects.models import Project

DEFAULT_DIRECT_COMMISSION_MAX_CENTS = 500_000 * 100  # ¥500,000
DEFAULT_SINGLE_SOURCE_NOTICE_DAYS = 5
DEFAULT_CLARIFICATION_DAYS = 3
# The number prefix of a department without a code, in a district without its own prefix: 政府购买 (ZFGM).
FALLBACK_NUMBER_PREFIX = "ZFGM"
MAX_THRESHOLD_CENTS = 10**12 * 100  # amounts are capped at 10^12 yuan everywhere
MIN_INVITED = 3
# Methods whose round fails with fewer than this many valid bids at the opening.
QUORUM_METHODS = frozenset({ProcurementMethod.REQUEST_FOR_QUOTATION, ProcurementMethod.COMPETITIVE_CONSULTATION})
QUORUM = 3
# Methods that take bids only from the organisations on the tender's invitation list.
INVITATION_METHODS = frozenset({ProcurementMethod.INVITED_TENDER, ProcurementMethod.SINGLE_SOURCE})
# Methods that need a public reason.
REASONED_METHODS = frozenset({ProcurementMethod.SINGLE_SOURCE})

_PREFIX = re.compile(r"^[A-Z]{2,8}$")
# Mainland mobile numbers and landlines with area code (and extension), optionally with +86.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")


# ---------------------------------------------------------------- a district's settings

@dataclass(frozen=True)
class SettingsInput:
    direct_commission_max_cents: int
    single_source_notice_days: int
    clarification_days: int
    number_prefix: str = ""


def district_of(project: Project) -> District | None:
    """The district of the project's street; a district-wide project's own district; for one that names
    none, the installation's only district (None in a city: the whole city's project has the defaults)."""
    if project.street_id is not None:
        street = db.session.get(Street, project.street_id)
        if street is not None:
            return db.session.get(District, street.district_id)
    district_id = project.district_id if project.district_id is not None else only_district_id()
    return db.session.get(District, district_id) if district_id is not None else None


def settings_for(district: District | None) -> ProcurementSettings:
    """The district's settings, or the defaults (an unsaved row) when it has none."""
    row = db.session.get(ProcurementSettings, district.id) if district is not None else None
    if row is not None:
        return row
    return ProcurementSettings(district_id=district.id if district is not None else None,
                               direct_commission_max_cents=DEFAULT_DIRECT_COMMISSION_MAX_CENTS,
                               single_source_notice_days=DEFAULT_SINGLE_SOURCE_NOTICE_DAYS,
                               clarification_days=DEFAULT_CLARIFICATION_DAYS, number_prefix="")


def project_settings(project: Project) -> ProcurementSettings:
    return settings_for(district_of(project))


def _settings_snapshot(row: ProcurementSettings) -> dict[str, Any]:
    return {"direct_commission_max_cents": row.direct_commission_max_cents,
            "single_source_notice_days": row.single_source_notice_days,
            "clarification_days": row.clarification_days, "number_prefix": row.number_prefix or ""}


def update_settings(actor: User, district: District, data: SettingsInput, *,
                    now: datetime | None = None) -> ProcurementSettings:
    """Change a district's thresholds (district officials and administrators); audited before and after."""
    now = now or utcnow()
    policy.require(actor, "procurement.settings", district)
    errors: dict[str, Any] = {}
    if data.direct_commission_max_cents < 0:
        errors["direct_commission_max"] = _l("Cannot be negative.")
    elif data.direct_commission_max_cents > MAX_THRESHOLD_CENTS:
        errors["direct_commission_max"] = _l("Too large.")
    if not 1 <= data.single_source_notice_days <= 30:
        errors["single_source_notice_days"] = _l("Between 1 and 30 working days.")
    if not 1 <= data.clarification_days <= 30:
        errors["clarification_days"] = _l("Between 1 and 30 working days.")
    prefix = data.number_prefix.strip().upper()
    if prefix and not _PREFIX.match(prefix):
        errors["number_prefix"] = _l("2 to 8 Latin letters, such as FTZF.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    row = db.session.get(ProcurementSettings, district.id)
    before = _settings_snapshot(row) if row is not None else _settings_snapshot(settings_for(district))
    if row is None:
        row = ProcurementSettings(district_id=district.id)
        db.session.add(row)
    row.direct_commission_max_cents = data.direct_commission_max_cents
    row.single_source_notice_days = data.single_source_notice_days
    row.clarification_days = data.clarification_days
    row.number_prefix = prefix
    row.updated_at, row.updated_by_id = now, actor.id
    db.session.flush()
    record(actor, "procurement.settings_changed", district,  # read in the district's own trail
           before=before, after=_settings_snapshot(row))
    return row


def set_department_code(actor: User, org: Organization, code: str) -> Organization:
    """Give a government department the short code its projects' numbers start with (audited): the
    officials of the department's district, or administrators."""
    policy.require(actor, "procurement.settings", org)
    code = code.strip().upper()
    if org.kind != OrgKind.GOVERNMENT:
        raise ValidationFailed(_l("Only government departments have a procurement code."))
    if code and not _PREFIX.match(code):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"code": _l("2 to 8 Latin letters, such as FTMZ.")})
    before = org.procurement_code
    org.procurement_code = code
    record(actor, "organization.procurement_code_changed", org, before={"procurement_code": before},
           after={"procurement_code": code})
    return org


# ---------------------------------------------------------------- project numbers

def number_prefix(project: Project) -> str:
    """The publishing department's code; else the district's prefix; else :data:`FALLBACK_NUMBER_PREFIX`."""
    org = db.session.get(Organization, project.organization_id) if project.organization_id else None
    if org is not None and org.procurement_code:
        return org.procurement_code
    return project_settings(project).number_prefix or FALLBACK_NUMBER_PREFIX


def format_number(prefix: str, year: int, seq: int) -> str:
    """``FTMZ-2027-0012``

    >>> format_number("FTMZ", 2027, 12)
    'FTMZ-2027-0012'
    """
    return f"{prefix}-{year:04d}-{seq:04d}"


def _next_seq(prefix: str, year: int) -> int:
    """Take the next number of ``prefix`` and ``year``, holding the counter's row lock until commit.

    Two publishers creating the same new counter at once: one insert wins, the other retries
    the locked read (a savepoint keeps the rest of its transaction).
    """
    for _attempt in range(3):
        counter = db.session.scalar(select(ProjectNumberCounter).where(
            ProjectNumberCounter.prefix == prefix, ProjectNumberCounter.year == year).with_for_update())
        if counter is not None:
            counter.last_seq += 1
            db.session.flush()
            return counter.last_seq
        try:
            with db.session.begin_nested():
                db.session.add(ProjectNumberCounter(prefix=prefix, year=year, last_seq=1))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError("project number counter: could not take a number")


def assign_number(project: Project, now: datetime) -> str:
    """Give ``project`` its number (once; published tenders keep theirs)."""
    if project.number:
        return project.number
    prefix = number_prefix(project)
    year = now.astimezone(BEIJING).year
    project.number = format_number(prefix, year, _next_seq(prefix, year))
    db.session.flush()  # the unique constraint checks it now, not at some later flush
    return project.number


# ---------------------------------------------------------------- contact phones

def normalise_phone(raw: str) -> str | None:
    """A mainland phone number in a canonical form (spaces dropped), or None when it is not one.

    >>> normalise_phone("0755 8291 0000"), normalise_phone("+86 138 0013 8000"), normalise_phone("12345")
    ('075582910000', '13800138000', None)
    """
    text = re.sub(r"[\s()]", "", raw or "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if len(text) > 24:
        return None
    if _MOBILE.match(text) or _LANDLINE.match(text):
        return text
    return None


def tel_uri(phone: str) -> str:
    """``tel:`` link of a stored phone number (international form).

    >>> tel_uri("0755-82910000"), tel_uri("13800138000")
    ('tel:+86-755-82910000', 'tel:+86-13800138000')
    """
    digits = phone[1:] if phone.startswith("0") else phone
    return f"tel:+86-{digits}"


# ---------------------------------------------------------------- what each method requires

def method_problems(project: Project, method: ProcurementMethod, reason: str, invited_ids: tuple[int, ...],
                    settings: ProcurementSettings) -> dict[str, Any]:
    """Field errors of a tender published with ``method``: threshold, invitations, public reason."""
    errors: dict[str, Any] = {}
    if method == ProcurementMethod.DIRECT_COMMISSION \
            and project.budget_cents >= settings.direct_commission_max_cents:
        errors["method"] = _l("Direct commission is only for budgets below %(max)s; this budget is %(budget)s.",
                              max=money(settings.direct_commission_max_cents), budget=money(project.budget_cents))
    if method in REASONED_METHODS and len(reason.strip()) < 10:
        errors["method_reason"] = _l("Give the public reason for a single source (at least 10 characters).")
    if len(reason) > 5000:
        errors["method_reason"] = _l("At most %(n)d characters.", n=5000)
    unique = set(invited_ids)
    if method == ProcurementMethod.INVITED_TENDER and len(unique) < MIN_INVITED:
        errors["invited"] = _l("Invite at least %(n)d organisations (%(have)d chosen).", n=MIN_INVITED,
                               have=len(unique))
    elif method == ProcurementMethod.SINGLE_SOURCE and len(unique) != 1:
        errors["invited"] = _l("Name the one organisation of the single source.")
    elif method not in INVITATION_METHODS and unique:
        errors["invited"] = _l("Only an invited tender or a single source has an invitation list.")
    if unique:
        orgs = list(db.session.scalars(select(Organization).where(Organization.id.in_(unique))))
        if len(orgs) != len(unique) or any(o.kind not in (OrgKind.SOCIAL_ORGANISATION, OrgKind.ENTERPRISE)
                                           or not o.is_eligible for o in orgs):
            errors["invited"] = _l("Invite only verified social organisations and enterprises.")
    return errors
