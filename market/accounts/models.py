from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from market.db import AwareDateTime, Base, TimestampMixin

if TYPE_CHECKING:
    from market.geo.models import Community, Street
    from market.orgs.models import Organization


# werkzeug's default (scrypt). The test suite lowers it: hashing strength is not what it tests.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  # nosec B105 (a method name, not a password)


class Role(StrEnum):
    RESIDENT = "resident"
    PROVIDER = "provider"  # member of a social organisation or firm
    FUNDER = "funder"  # member of a foundation, enterprise programme or fund
    OFFICIAL = "official"
    ADMIN = "admin"


class User(UserMixin, TimestampMixin, Base):
    """An account. Residents belong to one community; officials to a street or the whole district."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(20), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    # For officials: the street office they work for; None means district-wide.
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    verified_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())

    community: Mapped[Community | None] = relationship(foreign_keys=[community_id])
    street: Mapped[Street | None] = relationship(foreign_keys=[street_id])
    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)

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

    def governs_street(self, street_id: int | None) -> bool:
        """Whether this official may act for ``street_id`` (district-wide officials govern all)."""
        if self.role == Role.ADMIN:
            return True
        if self.role != Role.OFFICIAL:
            return False
        return self.street_id is None or self.street_id == street_id
