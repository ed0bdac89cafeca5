"""Matching runs, officials' decisions, proposals, awards (公示) and objections."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, TimestampMixin, utcnow
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.geo.models import Category, District
    from market.projects.models import Project




class RunStatus(LabelledEnum):
    QUEUED = "queued", _l("Queued")
    RUNNING = "running", _l("Running")
    SUCCEEDED = "succeeded", _l("Finished")
    FAILED = "failed", _l("Failed")


# Seconds a matching job may run before its worker stops it (RQ's job timeout).
JOB_TIMEOUT = 3600


RUN_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.FAILED}),
    RunStatus.RUNNING: frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED}),
    RunStatus.SUCCEEDED: frozenset(),
    RunStatus.FAILED: frozenset(),
}


class MatchRun(Stateful, TimestampMixin, Base):
    """One run of the matching engine: what was asked, how far it got, and what it proposed.

    ``parameters`` holds the selection (project ids) and the options; ``result`` the engine's
    answer in plain JSON (assignments, unmatched projects with reason codes, binding constraints).
    """

    __tablename__ = "match_runs"
    __transitions__ = RUN_TRANSITIONS
    __state_noun__ = "matching run"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        # The same request (scope, selection, options) runs once at a time, whichever server took it.
        Index("uq_match_runs_active_request", "request_key", unique=True,
              postgresql_where=text("status IN ('queued', 'running')"),
              sqlite_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    request_key: Mapped[str | None] = mapped_column(String(64))
    # The street the run was made for: the creator's street, None for district-wide officials.
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    # The district it was made for: the creator's (None: an administrator's run, the whole city).
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("match_runs.id"))
    status: Mapped[RunStatus] = mapped_column(EnumText(RunStatus, 20), default=RunStatus.QUEUED, index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    progress_note: Mapped[str] = mapped_column(String(200), default="")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    backend: Mapped[str] = mapped_column(String(20), default="thread")
    project_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    seconds: Mapped[float | None] = mapped_column(Float)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    proposals: Mapped[list[MatchProposal]] = relationship(back_populates="run", order_by="MatchProposal.id")

    def policy_scope(self) -> Scope:
        """A run belongs to the street of the official who made it (the district's for district officials)."""
        return Scope(street_id=self.street_id, district_id=self.district_id, user_id=self.created_by_id)

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)


class DecisionKind(LabelledEnum):
    PIN = "pin", _l("Keep (pin)")
    FORBID = "forbid", _l("Exclude (forbid)")


class MatchDecision(Base):
    """An official's override, respected by every later run: keep (pin) or exclude (forbid) a pair.

    Exactly one of ``provider_id`` and ``pool_id`` is set; ``lot_id`` narrows a provider decision
    to one lot. ``revoked_at`` ends it.
    """

    __tablename__ = "match_decisions"
    __table_args__ = (
        CheckConstraint("(provider_id IS NULL) <> (pool_id IS NULL)", name="one_target"),
        CheckConstraint("length(reason) > 0", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("match_runs.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("funding_pools.id"))
    kind: Mapped[DecisionKind] = mapped_column(EnumText(DecisionKind, 10))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project] = relationship()

    def policy_scope(self) -> Scope:
        return self.project.policy_scope()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class MatchProposalStatus(LabelledEnum):
    PROPOSED = "proposed", _l("Proposed")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")
    SUPERSEDED = "superseded", _l("Superseded")  # another run's proposal for the project was approved


MATCH_PROPOSAL_TRANSITIONS: dict[MatchProposalStatus, frozenset[MatchProposalStatus]] = {
    MatchProposalStatus.PROPOSED: frozenset({MatchProposalStatus.APPROVED, MatchProposalStatus.REJECTED,
                                             MatchProposalStatus.SUPERSEDED}),
    MatchProposalStatus.APPROVED: frozenset(),
    MatchProposalStatus.REJECTED: frozenset(),
    MatchProposalStatus.SUPERSEDED: frozenset(),
}


class MatchProposal(Stateful, Base):
    """What a run proposes for one project: a provider per unit (whole project or lot) and funding.

    ``units`` is a list of ``{"lot_id", "provider_id", "cost", "score", "components", "funding":
    [{"pool_id", "amount"}]}``; ``funding`` totals the money per pool over the units.
    """

    __tablename__ = "match_proposals"
    __transitions__ = MATCH_PROPOSAL_TRANSITIONS
    __state_noun__ = "match proposal"
    __table_args__ = (UniqueConstraint("run_id", "project_id"),
                      CheckConstraint("cost_cents >= 0", name="cost_non_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    status: Mapped[MatchProposalStatus] = mapped_column(EnumText(MatchProposalStatus, 20), default=MatchProposalStatus.PROPOSED, index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    cost_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    units: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    funding: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    pinned: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    run: Mapped[MatchRun] = relationship(back_populates="proposals")
    project: Mapped[Project] = relationship()

    def policy_scope(self) -> Scope:
        return self.project.policy_scope()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def funded_cents(self) -> int:
        return sum(int(f["amount"]) for f in self.funding)


class AwardStatus(LabelledEnum):
    IN_NOTICE = "in_notice", _l("In public notice")  # published (公示); objections may be filed until notice_ends_at
    CONFIRMED = "confirmed", _l("Confirmed")  # notice over, contracts signed
    CANCELLED = "cancelled", _l("Cancelled")  # an objection was upheld


AWARD_TRANSITIONS: dict[AwardStatus, frozenset[AwardStatus]] = {
    AwardStatus.IN_NOTICE: frozenset({AwardStatus.CONFIRMED, AwardStatus.CANCELLED}),
    AwardStatus.CONFIRMED: frozenset(),
    AwardStatus.CANCELLED: frozenset(),
}


class Award(Stateful, TimestampMixin, Base):
    """An approved proposal, published with its reasons for a notice period before signing."""

    __tablename__ = "awards"
    __transitions__ = AWARD_TRANSITIONS
    __state_noun__ = "award"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("match_proposals.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("match_runs.id"))
    status: Mapped[AwardStatus] = mapped_column(EnumText(AwardStatus, 20), default=AwardStatus.IN_NOTICE, index=True)
    # The published reasons: the official's note and the engine's explanation.
    reason: Mapped[str] = mapped_column(Text, default="")
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    funded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(AwareDateTime())
    notice_ends_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    project: Mapped[Project] = relationship()

    def policy_scope(self) -> Scope:
        return self.project.policy_scope()
    approved_by: Mapped[User] = relationship(foreign_keys=[approved_by_id])
    objections: Mapped[list[AwardObjection]] = relationship(back_populates="award", order_by="AwardObjection.id")

    @property
    def open_objections(self) -> list[AwardObjection]:
        return [o for o in self.objections if o.status == AwardObjectionStatus.OPEN]


class AwardObjectionStatus(LabelledEnum):
    OPEN = "open", _l("Awaiting answer")
    DISMISSED = "dismissed", _l("Dismissed")  # answered; the award stands
    UPHELD = "upheld", _l("Upheld")  # answered; the award is cancelled


AWARD_OBJECTION_TRANSITIONS: dict[AwardObjectionStatus, frozenset[AwardObjectionStatus]] = {
    AwardObjectionStatus.OPEN: frozenset({AwardObjectionStatus.DISMISSED, AwardObjectionStatus.UPHELD}),
    AwardObjectionStatus.DISMISSED: frozenset(),
    AwardObjectionStatus.UPHELD: frozenset(),
}


class AwardObjection(Stateful, Base):
    """An objection (异议) to an award during its notice period, and the officials' answer."""

    __tablename__ = "award_objections"
    __transitions__ = AWARD_OBJECTION_TRANSITIONS
    __state_noun__ = "award objection"
    __table_args__ = (CheckConstraint("length(text) > 0", name="text_given"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    status: Mapped[AwardObjectionStatus] = mapped_column(EnumText(AwardObjectionStatus, 20), default=AwardObjectionStatus.OPEN, index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    award: Mapped[Award] = relationship(back_populates="objections")

    def policy_scope(self) -> Scope:
        return self.award.project.policy_scope()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])


#: Languages a vocabulary term is written in.
TERM_LANGUAGES = ("zh", "en")


class VocabularyTerm(Base):
    """A word officials added to the sector vocabulary: ``term`` names ``skill`` in ``category``.

    The vocabulary the engine uses is the packaged one (:meth:`matching.vocabulary.Vocabulary.default`)
    with the active terms added. ``removed_at`` withdraws a term; the row stays for the record.
    Terms belong to the district of the official who added them (its streets share them); an administrator's
    serve the whole city (``district_id`` None).
    """

    __tablename__ = "vocabulary_terms"
    __table_args__ = (
        CheckConstraint("language IN ('zh', 'en')", name="language_known"),
        CheckConstraint("length(skill) > 0 AND length(term) > 0", name="words_given"),
        # One active entry per word of a skill (the service also compares ignoring case and the packaged words).
        Index("uq_vocabulary_terms_active", "district_id", "category_id", "skill", "term", unique=True,
              postgresql_where=text("removed_at IS NULL"), sqlite_where=text("removed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    skill: Mapped[str] = mapped_column(String(60))
    term: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(2))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    category: Mapped[Category] = relationship()
    district: Mapped[District | None] = relationship()
    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])

    def policy_scope(self) -> Scope:
        """Its district's (no street), or the city's; owned by the official who added it."""
        return Scope(district_id=self.district_id, user_id=self.added_by_id, city=self.district_id is None)

    @property
    def is_active(self) -> bool:
        return self.removed_at is None
