"""Account operations: registration, authentication with lock-out, verification, disabling."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market.accounts.models import Role, User
from market.audit.services import record
from market.db import db, utcnow
from market.errors import Conflict, PermissionDenied, ValidationFailed
from market.geo.models import Community

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


def check_password_policy(password: str) -> None:
    """Refuse short passwords and ones made of a single kind of character."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_l("Password too weak."),
                               fields={"password": _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)})
    if password.isdigit() or password.isalpha():
        raise ValidationFailed(_l("Password too weak."),
                               fields={"password": _l("Mix letters with digits or symbols.")})


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def register_user(*, email: str, display_name: str, password: str, role: Role,
                  community: Community | None = None) -> User:
    """Create a self-registered account (residents, provider and funder members)."""
    if role not in (Role.RESIDENT, Role.PROVIDER, Role.FUNDER):
        raise PermissionDenied(_l("This kind of account is created by an administrator."))
    if role == Role.RESIDENT and community is None:
        raise ValidationFailed(_l("Choose your community."), fields={"community_id": _l("Required for residents.")})
    if find_user_by_email(email):
        raise Conflict(_l("An account with this e-mail already exists."), fields={"email": _l("Already registered.")})
    check_password_policy(password)
    user = User(email=email.strip().lower(), display_name=display_name.strip(), role=role,
                community_id=community.id if community else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(user, "user.registered", user, after={"role": role, "community_id": user.community_id})
    return user


def authenticate(email: str, password: str) -> User:
    """Return the user for correct credentials; count failures and lock the account after several."""
    user = find_user_by_email(email)
    now = utcnow()
    invalid = ValidationFailed(_l("E-mail or password is wrong."), code="invalid_credentials")
    if user is None:
        raise invalid
    if user.locked_until and user.locked_until > now:
        raise PermissionDenied(_l("Too many failed attempts: this account is locked for a few minutes."),
                               code="locked")
    if not user.check_password(password):
        # Locked so that a burst of parallel guesses counts every one of them.
        user = db.session.get(User, user.id, with_for_update=True, populate_existing=True)
        user.failed_login_count += 1
        if user.failed_login_count >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_login_count = 0
            record(None, "user.locked", user, after={"locked_until": user.locked_until})
        raise invalid
    if user.is_disabled:
        raise PermissionDenied(_l("This account is disabled."), code="disabled")
    user.failed_login_count = 0
    user.locked_until = None
    return user


def verify_resident(actor: User, resident: User) -> User:
    """An official of the resident's street confirms the resident lives in that community."""
    if resident.role != Role.RESIDENT or resident.community is None:
        raise ValidationFailed(_l("Only residents with a community can be verified."))
    if not actor.governs_street(resident.community.street_id):
        raise PermissionDenied(_l("Only an official of this community's street can verify its residents."))
    if resident.is_verified:
        return resident
    resident.verified_at = utcnow()
    resident.verified_by_id = actor.id
    record(actor, "user.verified", resident, before={"verified": False}, after={"verified": True})
    return resident


def set_disabled(actor: User, user: User, disabled: bool) -> User:
    """An administrator disables or re-enables an account."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied(_l("Only administrators can disable accounts."))
    if user.id == actor.id:
        raise ValidationFailed(_l("You cannot disable your own account."))
    before = user.is_disabled
    user.is_disabled = disabled
    record(actor, "user.disabled" if disabled else "user.enabled", user,
           before={"disabled": before}, after={"disabled": disabled})
    return user


def residents_awaiting_verification(actor: User):
    """A select() of unverified residents in the communities ``actor`` governs."""
    stmt = (select(User).join(Community, User.community_id == Community.id)
            .where(User.role == Role.RESIDENT, User.verified_at.is_(None)).order_by(User.created_at))
    if actor.role == Role.OFFICIAL and actor.street_id is not None:
        stmt = stmt.where(Community.street_id == actor.street_id)
    return stmt
