"""Resident micro-projects (民生微实事): rounds, proposals, ballots, results, supervision and ratings.

Every model with a life cycle keeps its own transition table and refuses any other
move with :class:`~market.core.errors.IllegalTransition`, like :class:`Project`.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, Localized, TimestampMixin, db, utcnow
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful
from market.geo.models import Category, Community, ProjectType, Street

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orgs.models import Organization
    from market.projects.models import Project

YUAN = 100
# Per-project caps seen in Futian calls: services and goods up to 500,000 CNY, works up to 1,000,000 CNY.
DEFAULT_CAP_SERVICE_CENTS = 500_000 * YUAN
DEFAULT_CAP_WORKS_CENTS = 1_000_000 * YUAN
DEFAULT_NOTICE_WORKING_DAYS = 5
DEFAULT_FLAG_ANSWER_WORKING_DAYS = 3
DEFAULT_RATING_DAYS = 30
# The routed-to office's first answers: acknowledge receipt, then review (working days from routing).
DEFAULT_ACK_WORKING_DAYS = 2
DEFAULT_REVIEW_WORKING_DAYS = 5




class RoundPhase(LabelledEnum):
    COLLECTION = "collection", _l("Collecting proposals")  # 项目征集: proposals, supports, comments
    REVIEW = "review", _l("Under review")  # 项目评议: officials and the expert panel review
    VOTING = "voting", _l("Voting")  # 项目确定: ballots between opens and closes
    NOTICE = "notice", _l("Public notice")  # 公示: results published, objections may be filed
    FINAL = "final", _l("Results final")  # results final; selected proposals became projects
    CANCELLED = "cancelled", _l("Cancelled")


ROUND_TRANSITIONS: dict[RoundPhase, frozenset[RoundPhase]] = {
    RoundPhase.COLLECTION: frozenset({RoundPhase.REVIEW, RoundPhase.CANCELLED}),
    RoundPhase.REVIEW: frozenset({RoundPhase.COLLECTION, RoundPhase.VOTING, RoundPhase.CANCELLED}),
    RoundPhase.VOTING: frozenset({RoundPhase.NOTICE, RoundPhase.CANCELLED}),
    RoundPhase.NOTICE: frozenset({RoundPhase.FINAL}),
    RoundPhase.FINAL: frozenset(),
    RoundPhase.CANCELLED: frozenset(),
}


class BallotType(LabelledEnum):
    APPROVAL = "approval", _l("Approval: tick the projects you support")  # tick any number of projects (optionally at most max_picks)
    KNAPSACK = "knapsack", _l("Knapsack: tick projects that fit the budget together")  # tick projects whose total cost fits the budget


class SelectionRule(LabelledEnum):
    """Names of :data:`matching.pb.RULES` the web app offers."""

    GREEDY = "greedy", _l("Greedy by votes")
    MES_ADD1_GREEDY = "mes-add1-greedy", _l("Method of Equal Shares")
    MES = "mes", _l("Method of Equal Shares, without completion")
    MAX_WELFARE = "max-welfare", _l("Maximum welfare")


# The phases of a round under way (collection to public notice); as SQL for the index that allows one at a time.
ACTIVE_PHASES = (RoundPhase.COLLECTION, RoundPhase.REVIEW, RoundPhase.VOTING, RoundPhase.NOTICE)
UNDER_WAY_SQL = "phase IN ({})".format(", ".join(f"'{phase.value}'" for phase in ACTIVE_PHASES))


class MicroRound(Stateful, Localized, TimestampMixin, Base):
    """One year's programme for a community (or a whole street): collection to final results."""

    __tablename__ = "micro_rounds"
    __transitions__ = ROUND_TRANSITIONS
    __state_noun__ = "round"
    __state_column__ = "phase"
    __table_args__ = (
        CheckConstraint("budget_cents > 0", name="budget_positive"),
        CheckConstraint("cap_service_cents > 0 AND cap_works_cents > 0", name="caps_positive"),
        CheckConstraint("max_picks IS NULL OR max_picks > 0", name="max_picks_positive"),
        CheckConstraint("notice_working_days >= 0", name="notice_days_non_negative"),
        CheckConstraint("voting_closes_at IS NULL OR voting_opens_at IS NULL OR voting_closes_at > voting_opens_at",
                        name="voting_times_ordered"),
        # At most one round under way per community, and one street-wide round per street: two officials
        # opening one at the same moment cannot both succeed.
        Index("uq_micro_rounds_community_under_way", "community_id", unique=True,
              sqlite_where=text(UNDER_WAY_SQL), postgresql_where=text(UNDER_WAY_SQL)),
        Index("uq_micro_rounds_street_wide_under_way", "street_id", unique=True,
              sqlite_where=text(f"community_id IS NULL AND {UNDER_WAY_SQL}"),
              postgresql_where=text(f"community_id IS NULL AND {UNDER_WAY_SQL}")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[int] = mapped_column(Integer)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    # NULL: a street-wide round open to every community of the street.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    # The official responsible for the round and for the projects it produces.
    official_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    phase: Mapped[RoundPhase] = mapped_column(EnumText(RoundPhase, 20), default=RoundPhase.COLLECTION, index=True)
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    cap_service_cents: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_CAP_SERVICE_CENTS)
    cap_works_cents: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_CAP_WORKS_CENTS)
    ballot_type: Mapped[BallotType] = mapped_column(EnumText(BallotType, 20), default=BallotType.APPROVAL)
    max_picks: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[SelectionRule] = mapped_column(EnumText(SelectionRule, 30), default=SelectionRule.MES_ADD1_GREEDY)
    voting_opens_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    voting_closes_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    notice_working_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_NOTICE_WORKING_DAYS)
    # Orders (and so anonymises) the ballots in the published Pabulib file.
    ballot_salt: Mapped[str] = mapped_column(String(64), default="")
    results_published_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    notice_ends_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    results_final_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    voters_count: Mapped[int] = mapped_column(Integer, default=0)
    selected_cost_cents: Mapped[int] = mapped_column(BigInteger, default=0)

    street: Mapped[Street] = relationship()
    community: Mapped[Community | None] = relationship()
    official: Mapped[User] = relationship(foreign_keys=[official_id])
    proposals: Mapped[list[Proposal]] = relationship(back_populates="round", order_by="Proposal.id")
    results: Mapped[list[RoundResult]] = relationship(back_populates="round", order_by="RoundResult.rank",
                                                      cascade="all, delete-orphan")

    def policy_scope(self) -> Scope:
        """A round stands in its street (and community, when it is a community's)."""
        return Scope(street_id=self.street_id, community_id=self.community_id, public=True)

    def covers(self, community_id: int | None, street_id: int | None = None) -> bool:
        """Whether residents of ``community_id`` (in ``street_id``) take part in this round."""
        if community_id is None:
            return False
        if self.community_id is not None:
            return self.community_id == community_id
        return street_id == self.street_id

    def cap_for(self, project_type: str) -> int:
        return self.cap_works_cents if project_type == ProjectType.WORKS else self.cap_service_cents

    def voting_is_open(self, now: datetime) -> bool:
        return (self.phase == RoundPhase.VOTING and self.voting_opens_at is not None
                and self.voting_closes_at is not None and self.voting_opens_at <= now < self.voting_closes_at)

    @property
    def budget_used_percent(self) -> int:
        return min(100, round(100 * self.selected_cost_cents / self.budget_cents)) if self.budget_cents else 0


class ProposalStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")  # waiting for the street's review
    NEEDS_CHANGES = "needs_changes", _l("Needs changes")  # back with the resident, with a reason
    FEASIBLE = "feasible", _l("Feasible")  # on the ballot, with an official cost estimate
    DECLINED = "declined", _l("Rejected")  # rejected with a public reason
    MERGED = "merged", _l("Merged")  # a duplicate; its supporters moved to another proposal
    SELECTED = "selected", _l("Selected")  # won the vote; became a project
    NOT_SELECTED = "not_selected", _l("Not selected")


PROPOSAL_TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.DRAFT: frozenset({ProposalStatus.SUBMITTED}),
    ProposalStatus.SUBMITTED: frozenset({ProposalStatus.FEASIBLE, ProposalStatus.NEEDS_CHANGES,
                                         ProposalStatus.DECLINED, ProposalStatus.MERGED}),
    ProposalStatus.NEEDS_CHANGES: frozenset({ProposalStatus.SUBMITTED, ProposalStatus.MERGED}),
    ProposalStatus.FEASIBLE: frozenset({ProposalStatus.SELECTED, ProposalStatus.NOT_SELECTED, ProposalStatus.MERGED}),
    ProposalStatus.DECLINED: frozenset(),
    ProposalStatus.MERGED: frozenset(),
    ProposalStatus.SELECTED: frozenset(),
    ProposalStatus.NOT_SELECTED: frozenset(),
}
# What other residents see: drafts stay with their authors.
PUBLIC_PROPOSAL_STATUSES = tuple(s for s in ProposalStatus if s != ProposalStatus.DRAFT)


class Proposal(Stateful, Localized, TimestampMixin, Base):
    """A resident's idea for their community, from draft to the ballot (and a project if it wins)."""

    __tablename__ = "micro_proposals"
    __transitions__ = PROPOSAL_TRANSITIONS
    __state_noun__ = "proposal"
    __table_args__ = (
        CheckConstraint("estimated_cost_cents > 0", name="estimate_positive"),
        CheckConstraint("official_cost_cents IS NULL OR official_cost_cents > 0", name="official_cost_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("micro_rounds.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    project_type: Mapped[ProjectType] = mapped_column(EnumText(ProjectType, 20), default=ProjectType.SERVICE)
    place: Mapped[str] = mapped_column(String(200), default="")
    estimated_cost_cents: Mapped[int] = mapped_column(BigInteger)
    official_cost_cents: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[ProposalStatus] = mapped_column(EnumText(ProposalStatus, 20), default=ProposalStatus.DRAFT, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    review_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("micro_proposals.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), unique=True)

    round: Mapped[MicroRound] = relationship(back_populates="proposals")
    community: Mapped[Community] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    category: Mapped[Category] = relationship()
    merged_into: Mapped[Proposal | None] = relationship(remote_side=[id])
    project: Mapped[Project | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(back_populates="proposal", order_by="Photo.id")

    @property
    def cost_cents(self) -> int:
        """The official estimate once reviewed, else the resident's."""
        return self.official_cost_cents or self.estimated_cost_cents

    @property
    def is_public(self) -> bool:
        return self.status != ProposalStatus.DRAFT

    def policy_scope(self) -> Scope:
        """A proposal stands where its round does (its community, or the whole street for a street-wide
        round, whose residents all support, discuss and vote on it); its author owns it."""
        return Scope(street_id=self.round.street_id, community_id=self.round.community_id, user_id=self.author_id,
                     public=self.is_public)


class Support(Base):
    """A resident's support (点赞) for a proposal; one per resident and proposal."""

    __tablename__ = "micro_supports"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("micro_proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class Comment(Base):
    """A comment on a proposal (collection, review) or on a micro-project (implementation)."""

    __tablename__ = "micro_comments"
    __table_args__ = (
        CheckConstraint("(proposal_id IS NULL) <> (project_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("micro_proposals.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    author: Mapped[User] = relationship()


class Photo(Base):
    """An uploaded image, stored under the instance folder with a random name."""

    __tablename__ = "micro_photos"
    __table_args__ = (
        CheckConstraint("(proposal_id IS NULL) <> (update_id IS NULL)", name="one_owner"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("micro_proposals.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("micro_progress_updates.id", ondelete="CASCADE"),
                                                  index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    proposal: Mapped[Proposal | None] = relationship(back_populates="photos")
    update: Mapped[ProgressUpdate | None] = relationship(back_populates="photos")

    def policy_scope(self) -> Scope:
        """Whoever uploaded a photo may remove it, and the officials of the proposal's street."""
        street = self.proposal.round.street_id if self.proposal is not None else None
        return Scope(street_id=street, user_id=self.uploaded_by_id)


class PanelMember(Base):
    """A reviewer an official invited to score a round's feasible proposals."""

    __tablename__ = "micro_panel_members"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("micro_rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


# The published expert-panel criteria, each scored 1-5; labels live in market.micro.labels.
EXPERT_CRITERIA = ("need", "feasibility", "value_for_money", "reach")


class ExpertScore(Base):
    """One panel member's scores for one proposal."""

    __tablename__ = "micro_expert_scores"
    __table_args__ = (
        UniqueConstraint("proposal_id", "reviewer_id"),
        CheckConstraint("need BETWEEN 1 AND 5 AND feasibility BETWEEN 1 AND 5 AND value_for_money BETWEEN 1 AND 5 "
                        "AND reach BETWEEN 1 AND 5", name="scores_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("micro_proposals.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    need: Mapped[int] = mapped_column(Integer)
    feasibility: Mapped[int] = mapped_column(Integer)
    value_for_money: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    reviewer: Mapped[User] = relationship()

    @property
    def total(self) -> int:
        return sum(getattr(self, c) for c in EXPERT_CRITERIA)


class Ballot(Base):
    """One voter's ballot in one round. The unique key makes a second ballot impossible,
    whatever the application code does."""

    __tablename__ = "micro_ballots"
    __table_args__ = (UniqueConstraint("round_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("micro_rounds.id"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    cast_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    choices: Mapped[list[BallotChoice]] = relationship(cascade="all, delete-orphan", order_by="BallotChoice.proposal_id")

    @property
    def proposal_ids(self) -> list[int]:
        return [c.proposal_id for c in self.choices]


class BallotChoice(Base):
    __tablename__ = "micro_ballot_choices"

    ballot_id: Mapped[int] = mapped_column(ForeignKey("micro_ballots.id", ondelete="CASCADE"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("micro_proposals.id"), primary_key=True)


class RoundResult(Base):
    """One proposal's line in a round's results, with the rule's reason in structured form."""

    __tablename__ = "micro_round_results"
    __table_args__ = (
        UniqueConstraint("round_id", "proposal_id"),
        CheckConstraint("votes >= 0", name="votes_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("micro_rounds.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("micro_proposals.id"))
    votes: Mapped[int] = mapped_column(Integer)
    cost_cents: Mapped[int] = mapped_column(BigInteger)
    selected: Mapped[bool] = mapped_column(Boolean)
    # Display order: selected ones in selection order, then the rest by votes.
    rank: Mapped[int] = mapped_column(Integer)
    # [{"code": ..., "params": {...}}, ...] — translated when shown; engine_reason is the rule's own words.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    engine_reason: Mapped[str] = mapped_column(Text, default="")

    round: Mapped[MicroRound] = relationship(back_populates="results")
    proposal: Mapped[Proposal] = relationship()


class ObjectionStatus(LabelledEnum):
    UNANSWERED = "unanswered", _l("Awaiting answer")
    ANSWERED = "answered", _l("Answered")


OBJECTION_TRANSITIONS = {ObjectionStatus.UNANSWERED: frozenset({ObjectionStatus.ANSWERED}),
                         ObjectionStatus.ANSWERED: frozenset()}


class Objection(Stateful, Base):
    """A resident's objection (异议) to a round's results during the public notice."""

    __tablename__ = "micro_objections"
    __transitions__ = OBJECTION_TRANSITIONS
    __state_noun__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("micro_rounds.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(EnumText(ObjectionStatus, 20), default=ObjectionStatus.UNANSWERED, index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    def policy_scope(self) -> Scope:
        round_ = db.session.get(MicroRound, self.round_id)
        return Scope(street_id=round_.street_id, community_id=round_.community_id, user_id=self.author_id)


class Follow(Base):
    """A user following a micro-project's progress (and notified of its updates)."""

    __tablename__ = "micro_follows"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class ProgressUpdate(Base):
    """A provider's progress report, optionally against a milestone, with photos."""

    __tablename__ = "micro_progress_updates"
    __table_args__ = (CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent_in_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    percent_complete: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    author: Mapped[User] = relationship()
    photos: Mapped[list[Photo]] = relationship(back_populates="update", order_by="Photo.id")


class FlagKind(LabelledEnum):
    SAFETY = "safety", _l("Safety")
    DELAY = "delay", _l("Delay")
    QUALITY = "quality", _l("Quality")


class FlagStatus(LabelledEnum):
    UNANSWERED = "unanswered", _l("Awaiting answer")
    ANSWERED = "answered", _l("Answered")


FLAG_TRANSITIONS = {FlagStatus.UNANSWERED: frozenset({FlagStatus.ANSWERED}), FlagStatus.ANSWERED: frozenset()}


class Flag(Stateful, Base):
    """A problem a resident reports on a micro-project; the responsible official answers by ``due_at``."""

    __tablename__ = "micro_flags"
    __transitions__ = FLAG_TRANSITIONS
    __state_noun__ = "flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[FlagKind] = mapped_column(EnumText(FlagKind, 20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[FlagStatus] = mapped_column(EnumText(FlagStatus, 20), default=FlagStatus.UNANSWERED, index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    project: Mapped[Project] = relationship()

    def policy_scope(self) -> Scope:
        """A flag is for the project's responsible official to answer."""
        project = self.project
        return Scope(street_id=project.street_id, district_id=project.district_id, community_id=project.community_id, user_id=project.owner_id)

    def is_overdue(self, now: datetime) -> bool:
        return self.status == FlagStatus.UNANSWERED and now > self.due_at


class Acceptance(Base):
    """The official acceptance (验收) of a micro-project, which opens the rating period."""

    __tablename__ = "micro_acceptances"
    __table_args__ = (CheckConstraint("rating_closes_at > rating_opens_at", name="rating_period_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    report: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    rating_opens_at: Mapped[datetime] = mapped_column(AwareDateTime())
    rating_closes_at: Mapped[datetime] = mapped_column(AwareDateTime())

    official: Mapped[User] = relationship()

    def rating_is_open(self, now: datetime) -> bool:
        return self.rating_opens_at <= now < self.rating_closes_at


# The published rating criteria, each 1-5 stars; labels live in market.micro.labels.
RATING_CRITERIA = ("quality", "timeliness", "communication", "value_for_money")


class Rating(Base):
    """A resident's rating of an accepted micro-project; it feeds the provider's reputation."""

    __tablename__ = "micro_ratings"
    __table_args__ = (
        UniqueConstraint("project_id", "user_id"),
        CheckConstraint("quality BETWEEN 1 AND 5 AND timeliness BETWEEN 1 AND 5 AND communication BETWEEN 1 AND 5 "
                        "AND value_for_money BETWEEN 1 AND 5", name="stars_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The provider engaged when the project was rated (the contract's organisation).
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    quality: Mapped[int] = mapped_column(Integer)
    timeliness: Mapped[int] = mapped_column(Integer)
    communication: Mapped[int] = mapped_column(Integer)
    value_for_money: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def stars(self) -> float:
        """The mean over the criteria, 1-5."""
        return sum(getattr(self, c) for c in RATING_CRITERIA) / len(RATING_CRITERIA)


class CategoryRoute(Base):
    """Which department of a district answers its residents' matters of a category (the rest go to street
    offices). Each district keeps its own map."""

    __tablename__ = "micro_category_routes"
    __table_args__ = (UniqueConstraint("district_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    office_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    category: Mapped[Category] = relationship()
    office: Mapped[Organization] = relationship()

    def policy_scope(self) -> Scope:
        """The district's own business."""
        return Scope(district_id=self.district_id)


class RoutedItem(Base):
    """A submitted proposal or a raised flag on its way to the office that must answer it (自动分派).

    The office is the street office of the item's street, or a district department for its category.
    Two working-day clocks run from routing: acknowledge (``ack_due_at``) and review (``review_due_at``;
    a flag's own answer deadline). A missed clock escalates the item to the district, once per clock.
    """

    __tablename__ = "micro_routed_items"
    __table_args__ = (
        CheckConstraint("(proposal_id IS NULL) <> (flag_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("micro_proposals.id", ondelete="CASCADE"), unique=True)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("micro_flags.id", ondelete="CASCADE"), unique=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    # NULL: the street has no office organisation on the platform; its officials answer.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    to_department: Mapped[bool] = mapped_column(Boolean, default=False)
    routed_at: Mapped[datetime] = mapped_column(AwareDateTime())
    ack_due_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    review_due_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    ack_escalated_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    review_escalated_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    proposal: Mapped[Proposal | None] = relationship()
    flag: Mapped[Flag | None] = relationship()
    street: Mapped[Street] = relationship()
    office: Mapped[Organization | None] = relationship()

    def policy_scope(self) -> Scope:
        """A street office's item stands in its street; a department's is the district's, owned by the department."""
        if self.to_department:
            return Scope(district_id=self.street.district_id, org_id=self.office_id)
        return Scope(street_id=self.street_id, org_id=self.office_id)

    @property
    def is_open(self) -> bool:
        return self.reviewed_at is None

    @property
    def escalated(self) -> bool:
        return self.ack_escalated_at is not None or self.review_escalated_at is not None

    def ack_overdue(self, now: datetime) -> bool:
        return self.acknowledged_at is None and self.reviewed_at is None and now >= self.ack_due_at

    def review_overdue(self, now: datetime) -> bool:
        return self.reviewed_at is None and now >= self.review_due_at
