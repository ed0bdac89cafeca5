from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import Base, Localized
from market.core.enums import LabelledEnum
from market.core.policy import Scope


class District(Localized, Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    streets: Mapped[list[Street]] = relationship(back_populates="district", order_by="Street.id")

    def policy_scope(self) -> Scope:
        """A district's own business (its procurement settings): its district-wide officials'."""
        return Scope(district_id=self.id)


class Street(Localized, Base):
    """A sub-district (街道) with its own office."""

    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    district: Mapped[District] = relationship(back_populates="streets")
    communities: Mapped[list[Community]] = relationship(back_populates="street", order_by="Community.id")


class Community(Localized, Base):
    """A residents' community (社区) inside a street."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    street: Mapped[Street] = relationship(back_populates="communities")


class Category(Localized, Base):
    """A social-service category (养老服务, 残障服务, ...)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class ProjectType(LabelledEnum):
    """Procurement type: 服务 / 货物 / 工程."""

    SERVICE = "service", _l("Service")
    GOODS = "goods", _l("Goods")
    WORKS = "works", _l("Works")
