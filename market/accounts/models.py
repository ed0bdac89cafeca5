from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from market.core.db import AwareDateTime, Base, TimestampMixin
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope

if TYPE_CHECKING:
    from market.geo.models import Community, District, Street
    from market.orgs.models import Organization


# werkzeug's default (scrypt). The test suite lowers it: hashing strength is not what it tests.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  # nosec B105 (a method name, not a password)


class Role(LabelledEnum):
    RESIDENT = "resident", _l("Resident")
    PROVIDER = "provider", _l("Provider")  # member of a social organisation or firm
    FUNDER = "funder", _l("Funder")  # member of a foundation, enterprise programme or fund
    OFFICIAL = "official", _l("Official")
    ADMIN = "admin", _l("Administrator")


class User(UserMixin, TimestampMixin, Base):
    """An account. Residents belong to one community; officials to a street or the whole district."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(EnumText(Role, 20), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    # For officials: the street office they work for; None means district-wide.
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    # For officials: the district they work for (a street official's is their street's). Administrators work
    # for the whole city and have none; nor do residents, providers and funders (their places are elsewhere).
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    verified_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of every session cookie's id: raising it (log-out, new password, disabling) ends every
    # session of the account, on every device.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # The language the user last chose with the switch (None: never chose); their e-mails and SMS use it.
    language: Mapped[str | None] = mapped_column(String(5))
    # A mobile number for SMS notices, digits with an optional leading +; empty: none given.
    phone: Mapped[str] = mapped_column(String(20), default="")

    community: Mapped[Community | None] = relationship(foreign_keys=[community_id])
    street: Mapped[Street | None] = relationship(foreign_keys=[street_id])
    district: Mapped[District | None] = relationship(foreign_keys=[district_id])
    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)

    def get_id(self) -> str:
        """The session's user id: the account and its session version (see :attr:`session_version`)."""
        return f"{self.id}:{self.session_version or 0}"

    def policy_scope(self) -> Scope:
        """A resident stands in their community and its street."""
        street_id = self.community.street_id if self.community is not None else None
        return Scope(street_id=street_id, community_id=self.community_id, user_id=self.id)

    @property
    def district_street_ids(self) -> frozenset[int]:
        """The streets of the official's district (the policy's test of "in my district")."""
        return frozenset(s.id for s in self.district.streets) if self.district is not None else frozenset()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return not self.is_disabled

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_official(self) -> bool:
        return self.role in (Role.OFFICIAL, Role.ADMIN)



class LoginThrottle(Base):
    """Failed log-ins for one e-mail address from one network address, with a growing pause.

    Counted per pair, so that guessing someone's password from elsewhere never locks the
    account holder out; counted for unknown e-mails too, so answers do not tell who has an account.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("email_key", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64))  # SHA-256 of the normalised e-mail
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # how often this pair was paused: the pause doubles
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
