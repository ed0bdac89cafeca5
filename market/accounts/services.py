"""Account operations: registration, log-in with throttling, sessions, verification, disabling."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from market.accounts import models
from market.accounts.models import LoginThrottle, Role, User
from market.core import policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.geo.models import Community, District, Street
from market.geo.services import limit_to_jurisdiction
from market.notifications.services import notify

MIN_PASSWORD_LENGTH = 10
#: Failed log-ins for one e-mail from one address before a pause, the first pause, and its ceiling.
FAILURES_BEFORE_PAUSE = 5
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=1)
# Failures older than this are forgotten (the count starts again).
FAILURE_MEMORY = timedelta(hours=1)


def check_password_policy(password: str) -> None:
    """Refuse short passwords and ones made of a single kind of character."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_l("Password too weak."),
                               fields={"password": _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)})
    if password.isdigit() or password.isalpha():
        raise ValidationFailed(_l("Password too weak."),
                               fields={"password": _l("Mix letters with digits or symbols.")})


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def register_user(*, email: str, display_name: str, password: str, role: Role,
                  community: Community | None = None, language: str | None = None) -> User:
    """Create a self-registered account (residents, provider and funder members)."""
    if role not in (Role.RESIDENT, Role.PROVIDER, Role.FUNDER):
        raise PermissionDenied(_l("This kind of account is created by an administrator."))
    if role == Role.RESIDENT and community is None:
        raise ValidationFailed(_l("Choose your community."), fields={"community_id": _l("Required for residents.")})
    if find_user_by_email(email):
        raise Conflict(_l("An account with this e-mail already exists."), fields={"email": _l("Already registered.")})
    check_password_policy(password)
    user = User(email=normalise_email(email), display_name=display_name.strip(), role=role,
                community_id=community.id if community else None,
                language=language if language in LANGUAGES else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(user, "user.registered", user, after={"role": role, "community_id": user.community_id})
    return user


def place_official(user: User, *, street_id: int | None = None, district_id: int | None = None) -> User:
    """Where an official works: a street office (the street's district follows) or, without a street, a
    whole district. Every official belongs to a district; administrators work for the whole city."""
    if user.role != Role.OFFICIAL:
        raise ValidationFailed(_l("Only officials work for a street or a district."))
    if street_id is not None:
        street = db.session.get(Street, street_id)
        if street is None:
            raise ValidationFailed(_l("Unknown street."), fields={"street_id": _l("Unknown street.")})
        if district_id is not None and district_id != street.district_id:
            raise ValidationFailed(_l("This street is in another district."),
                                   fields={"street_id": _l("Not in the chosen district.")})
        district_id = street.district_id
    elif district_id is None or db.session.get(District, district_id) is None:
        raise ValidationFailed(_l("Choose the official's district."), fields={"district_id": _l("Required.")})
    user.street_id, user.district_id = street_id, district_id
    return user


# ---------------------------------------------------------------- log-in

INVALID = _l("E-mail or password is wrong.")
PAUSED = _l("Too many failed attempts from your connection. Please wait %(minutes)d minute(s) and try again.")


@lru_cache(maxsize=4)
def _decoy_hash(method: str) -> str:
    """A hash to check unknown e-mails against, so that they take as long as known ones."""
    return generate_password_hash("not a password of anyone", method=method)


def _email_key(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()


def _throttle(email: str, address: str) -> LoginThrottle:
    """The (e-mail, address) pair's counter, locked; created by whichever of two first attempts comes first."""
    key, address = _email_key(email), address[:64]
    query = (select(LoginThrottle).where(LoginThrottle.email_key == key, LoginThrottle.address == address)
             .with_for_update().execution_options(populate_existing=True))
    row = db.session.scalar(query)
    if row is None:
        try:
            with db.session.begin_nested():
                row = LoginThrottle(email_key=key, address=address, failures=0, lockouts=0)
                db.session.add(row)
        except IntegrityError:  # a parallel first attempt created it: count on that row
            row = db.session.scalar(query)
    return row


def _pause_for(lockouts: int) -> timedelta:
    return min(LONGEST_PAUSE, FIRST_PAUSE * (2 ** max(0, lockouts - 1)))


def _minutes(delta: timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))


def authenticate(email: str, password: str, *, address: str, now: datetime | None = None) -> User:
    """Return the user for correct credentials, or raise.

    Unknown e-mails and wrong passwords get the same answer in the same time. Failures are
    counted per e-mail *and* network address: after :data:`FAILURES_BEFORE_PAUSE` of them that
    pair waits, a minute the first time and twice as long each time after, while the account
    holder can still log in from elsewhere and is told of the attempts.
    """
    now = now or utcnow()
    user = find_user_by_email(email)
    throttle = _throttle(email, address or "unknown")
    if throttle.locked_until is not None and throttle.locked_until > now:
        raise PermissionDenied(PAUSED % {"minutes": _minutes(throttle.locked_until - now)}, code="paused")
    if user is not None:
        correct = user.check_password(password)
    else:
        check_password_hash(_decoy_hash(models.PASSWORD_HASH_METHOD), password)
        correct = False
    if not correct:
        _count_failure(throttle, user, address, now)
        raise ValidationFailed(INVALID, code="invalid_credentials")
    if user.is_disabled:
        raise PermissionDenied(_l("This account is disabled."), code="disabled")
    throttle.failures = 0
    throttle.lockouts = 0
    throttle.locked_until = None
    return user


def _count_failure(throttle: LoginThrottle, user: User | None, address: str, now: datetime) -> None:
    if throttle.last_failure_at is not None and now - throttle.last_failure_at > FAILURE_MEMORY:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures < FAILURES_BEFORE_PAUSE:
        return
    throttle.failures = 0
    throttle.lockouts += 1
    throttle.locked_until = now + _pause_for(throttle.lockouts)
    if user is not None:
        record(None, "user.login_paused", user, after={"address": address, "until": throttle.locked_until,
                                                        "pauses": throttle.lockouts})
        notify([user], "account.failed_logins", {"address": address, "count": FAILURES_BEFORE_PAUSE,
                                                 "at": now.isoformat()}, "/account/password", now=now)


def end_sessions(user: User) -> None:
    """End every session of ``user`` on every device (their cookies no longer match)."""
    user.session_version = (user.session_version or 0) + 1


def session_user(session_id: str) -> User | None:
    """The user a session cookie names, if its session version is still current."""
    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.is_disabled or (user.session_version or 0) != int(version):
        return None
    return user


def log_out(user: User) -> None:
    end_sessions(user)
    record(user, "user.logged_out", user)


def change_password(user: User, current: str, new: str) -> User:
    """The account holder sets a new password; every other session ends."""
    if not user.check_password(current):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"current": _l("This is not your current password.")})
    check_password_policy(new)
    user.set_password(new)
    end_sessions(user)
    record(user, "user.password_changed", user)
    return user


# ---------------------------------------------------------------- language and phone

#: Mobile numbers: digits, optionally with a leading + and a country code (spaces and dashes are dropped).
_PHONE = re.compile(r"\+?[0-9]{6,15}")
LANGUAGES = ("zh", "en")


def remember_language(user: User, language: str) -> None:
    """Keep the language ``user`` chose with the switch: their e-mails and SMS come in it."""
    if language in LANGUAGES and user.language != language:
        user.language = language


def set_phone(user: User, phone: str) -> User:
    """Set (or, empty, remove) the account holder's mobile number for SMS notices."""
    policy.require(user, "account.view_own")
    number = re.sub(r"[\s\-()]", "", phone or "")
    if number and not _PHONE.fullmatch(number):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"phone": _l("Enter a mobile number: digits, optionally starting with +.")})
    if number != user.phone:
        record(user, "user.phone_changed", user, after={"phone_given": bool(number)})
        user.phone = number
    return user


# ---------------------------------------------------------------- officials and administrators

def verify_resident(actor: User, resident: User) -> User:
    """An official of the resident's street confirms the resident lives in that community."""
    if resident.role != Role.RESIDENT or resident.community is None:
        raise ValidationFailed(_l("Only residents with a community can be verified."))
    policy.require(actor, "resident.verify", resident)
    if resident.is_verified:
        return resident
    resident.verified_at = utcnow()
    resident.verified_by_id = actor.id
    record(actor, "user.verified", resident, before={"verified": False}, after={"verified": True})
    return resident


def set_disabled(actor: User, user: User, disabled: bool) -> User:
    """An administrator disables or re-enables an account; disabling ends its sessions for good."""
    policy.require(actor, "account.admin")
    if user.id == actor.id:
        raise ValidationFailed(_l("You cannot disable your own account."))
    before = user.is_disabled
    user.is_disabled = disabled
    if disabled:
        end_sessions(user)
    record(actor, "user.disabled" if disabled else "user.enabled", user,
           before={"disabled": before}, after={"disabled": disabled})
    return user


def residents_awaiting_verification(actor: User):
    """A select() of unverified residents in the communities ``actor`` governs."""
    stmt = (select(User).join(Community, User.community_id == Community.id)
            .where(User.role == Role.RESIDENT, User.verified_at.is_(None)).order_by(User.created_at))
    return limit_to_jurisdiction(stmt, actor, Community.street_id)
