from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, Localized, TimestampMixin, utcnow
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful
from market.geo.models import Category, ProjectType, Street
from market.search.schema import searchable


class OrgKind(LabelledEnum):
    SOCIAL_ORGANISATION = "social_organisation", _l("Social organisation")
    ENTERPRISE = "enterprise", _l("Enterprise")
    FOUNDATION = "foundation", _l("Foundation")
    GOVERNMENT = "government", _l("Government department")


class Qualification(LabelledEnum):
    """A licence a provider holds; some kinds of project require one (works: a construction licence)."""

    CONSTRUCTION = "construction", _l("Construction enterprise licence")
    FOOD_SERVICE = "food_service", _l("Food business licence")
    MEDICAL = "medical", _l("Medical institution licence")


#: What a provider may be contracted for, as :class:`market.geo.models.ProjectType` values.
DEFAULT_SUPPLIES = ("service",)


class VerificationState(LabelledEnum):
    PENDING = "pending", _l("Awaiting verification")
    VERIFIED = "verified", _l("Verified")
    REJECTED = "rejected", _l("Verification refused")


# Refused organisations may correct their profile and ask again; a verified one goes back to
# pending when it changes a fact that decides eligibility, or is refused when an official
# withdraws the verification (with a reason).
VERIFICATION_TRANSITIONS: dict[VerificationState, frozenset[VerificationState]] = {
    VerificationState.PENDING: frozenset({VerificationState.VERIFIED, VerificationState.REJECTED}),
    VerificationState.VERIFIED: frozenset({VerificationState.PENDING, VerificationState.REJECTED}),
    VerificationState.REJECTED: frozenset({VerificationState.PENDING, VerificationState.VERIFIED}),
}

organization_categories = Table(
    "organization_categories",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)

organization_service_streets = Table(
    "organization_service_streets",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("street_id", ForeignKey("streets.id"), primary_key=True),
)


class Organization(Stateful, Localized, TimestampMixin, Base):
    """A provider, funder or government department keeping a public profile."""

    __tablename__ = "organizations"
    __transitions__ = VERIFICATION_TRANSITIONS
    __state_noun__ = "organisation"
    __state_column__ = "verification_state"
    __table_args__ = (
        CheckConstraint("rating_grade BETWEEN 0 AND 5", name="rating_grade_range"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("full_time_staff >= 0", name="staff_non_negative"),
        CheckConstraint("office_area_m2 >= 0", name="office_area_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[OrgKind] = mapped_column(EnumText(OrgKind, 30), index=True)
    registration_date: Mapped[date | None] = mapped_column(Date)
    full_time_staff: Mapped[int] = mapped_column(Integer, default=0)
    office_area_m2: Mapped[int] = mapped_column(Integer, default=0)
    # 0 means not rated; 1..5 are the civil-affairs grades 1A..5A.
    rating_grade: Mapped[int] = mapped_column(Integer, default=0)
    capability: Mapped[str] = mapped_column(Text, default="")
    capability_en: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    home_street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    # The district it is registered in: its home street's, or (without one) its registrar's district.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    serves_whole_district: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    # A government department's short code, the prefix of its projects' numbers (FTMZ: 福田区民政局).
    procurement_code: Mapped[str] = mapped_column(String(12), default="")
    verification_state: Mapped[VerificationState] = mapped_column(EnumText(VerificationState, 20), default=VerificationState.PENDING, index=True)
    verified_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    # 统一社会信用代码, checked against its check character.
    credit_code: Mapped[str] = mapped_column(String(18), default="")
    # The eligibility facts as an official last verified them (see ELIGIBILITY_FACTS): bidding and
    # matching use these while changed facts wait for an official.
    verified_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Why verification was last refused or withdrawn (shown to the organisation).
    verification_note: Mapped[str] = mapped_column(Text, default="")
    # Stripe Connect account (acct_...) that receives milestone payouts; set by the organisation's members.
    stripe_account_id: Mapped[str | None] = mapped_column(String(255))
    # What it may be contracted for (ProjectType values: service, goods, works) and the licences
    # it holds (Qualification values): matching proposes it only for projects of those types.
    supplies: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_SUPPLIES))
    qualifications: Mapped[list[str]] = mapped_column(JSON, default=list)

    categories: Mapped[list[Category]] = relationship(secondary=organization_categories, order_by="Category.sort_order")
    service_streets: Mapped[list[Street]] = relationship(secondary=organization_service_streets, order_by="Street.id")
    home_street: Mapped[Street | None] = relationship(foreign_keys=[home_street_id])

    documents: Mapped[list[OrganizationDocument]] = relationship(
        back_populates="organization", order_by="OrganizationDocument.id", cascade="all, delete-orphan")

    def policy_scope(self) -> Scope:
        """An organisation stands in its home street (the district's when it has none)."""
        return Scope(street_id=self.home_street_id, district_id=self.district_key, org_id=self.id, public=True)

    @property
    def district_key(self) -> int | None:
        """The district it belongs to: the one it is registered in, else its home street's."""
        if self.district_id is not None:
            return self.district_id
        return self.home_street.district_id if self.home_street is not None else None

    @property
    def is_verified(self) -> bool:
        return self.verification_state == VerificationState.VERIFIED

    @property
    def is_eligible(self) -> bool:
        """Verified, or verified before and waiting for an official to check changed facts."""
        return self.is_verified or (self.verification_state == VerificationState.PENDING
                                    and self.verified_facts is not None)

    def current_facts(self) -> dict[str, Any]:
        """The eligibility facts as the profile states them now (JSON-ready)."""
        return {
            "name": self.name,
            "kind": str(self.kind),
            "credit_code": self.credit_code or "",
            "registration_date": self.registration_date.isoformat() if self.registration_date else None,
            "full_time_staff": self.full_time_staff,
            "office_area_m2": self.office_area_m2,
            "rating_grade": self.rating_grade,
            "home_street_id": self.home_street_id,
            "serves_whole_district": bool(self.serves_whole_district),
            "service_street_ids": sorted(s.id for s in self.service_streets),
            "category_ids": sorted(c.id for c in self.categories),
        }

    def facts_digest(self) -> str:
        """A short digest of :meth:`current_facts`: the decision form carries the one the official saw."""
        text = json.dumps(self.current_facts(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def eligibility(self) -> EligibilityFacts | None:
        """The facts bidding and matching may rely on: the verified ones, or None when there are none."""
        if self.is_verified:
            return EligibilityFacts.from_dict(self.current_facts())
        if self.is_eligible:
            return EligibilityFacts.from_dict(self.verified_facts)
        return None

    @property
    def rating_label(self) -> str:
        return f"{self.rating_grade}A" if self.rating_grade else ""

    @property
    def supply_labels(self) -> list[str]:
        """What it may be contracted for, as labels in the current language."""
        return [t.label for t in ProjectType if t.value in (self.supplies or ())]

    @property
    def qualification_labels(self) -> list[str]:
        """The licences it holds, as labels in the current language."""
        return [q.label for q in Qualification if q.value in (self.qualifications or ())]


#: Names and capability statements, as the database indexes them for search.
ORGANIZATION_SEARCH = searchable(Organization, title=(Organization.name, Organization.name_en),
                                 body=(Organization.capability, Organization.capability_en),
                                 english=(Organization.name_en, Organization.capability_en))

#: The facts that decide eligibility: changing one sends a verified organisation back to pending.
ELIGIBILITY_FACTS = ("name", "kind", "credit_code", "registration_date", "full_time_staff", "office_area_m2",
                     "rating_grade", "home_street_id", "serves_whole_district", "service_street_ids", "category_ids")


@dataclass(frozen=True)
class EligibilityFacts:
    """Verified facts about an organisation, as bidding and matching read them."""

    kind: str
    registration_date: date | None
    full_time_staff: int
    office_area_m2: int
    rating_grade: int
    home_street_id: int | None
    serves_whole_district: bool
    service_street_ids: frozenset[int]
    category_ids: frozenset[int]
    credit_code: str = ""

    @classmethod
    def from_dict(cls, facts: dict[str, Any]) -> EligibilityFacts:
        registered = facts.get("registration_date")
        return cls(kind=str(facts["kind"]), registration_date=date.fromisoformat(registered) if registered else None,
                   full_time_staff=int(facts.get("full_time_staff") or 0),
                   office_area_m2=int(facts.get("office_area_m2") or 0),
                   rating_grade=int(facts.get("rating_grade") or 0), home_street_id=facts.get("home_street_id"),
                   serves_whole_district=bool(facts.get("serves_whole_district")),
                   service_street_ids=frozenset(facts.get("service_street_ids") or ()),
                   category_ids=frozenset(facts.get("category_ids") or ()), credit_code=facts.get("credit_code") or "")

    @property
    def rating_label(self) -> str:
        return f"{self.rating_grade}A" if self.rating_grade else ""

    def years_registered(self, on: date) -> float:
        if self.registration_date is None:
            return 0.0
        return (on - self.registration_date).days / 365.25

    def serves_street(self, street_id: int | None) -> bool:
        """District-wide projects need a district-wide provider; street projects one serving the street."""
        if self.serves_whole_district:
            return True
        return street_id is not None and (street_id == self.home_street_id or street_id in self.service_street_ids)


class DocumentKind(LabelledEnum):
    REGISTRATION = "registration", _l("Registration certificate")
    RATING = "rating", _l("Rating certificate")
    OTHER = "other", _l("Other evidence")


class OrganizationDocument(Base):
    """Evidence for the eligibility facts (a certificate), stored under a random name."""

    __tablename__ = "organization_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(EnumText(DocumentKind, 20))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="documents")

    def policy_scope(self) -> Scope:
        return self.organization.policy_scope()
