from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, Localized, TimestampMixin
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orgs.models import Organization
    from market.projects.models import Project


class ContractStatus(LabelledEnum):
    IN_NOTICE = "in_notice", _l("In public notice")  # award published (公示), objections possible
    SIGNED = "signed", _l("Signed")
    COMPLETED = "completed", _l("Completed")
    TERMINATED = "terminated", _l("Terminated")


CONTRACT_TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.IN_NOTICE: frozenset({ContractStatus.SIGNED, ContractStatus.TERMINATED}),
    ContractStatus.SIGNED: frozenset({ContractStatus.COMPLETED, ContractStatus.TERMINATED}),
    ContractStatus.COMPLETED: frozenset(),
    ContractStatus.TERMINATED: frozenset(),
}


class MilestoneStatus(LabelledEnum):
    PLANNED = "planned", _l("Planned")
    SUBMITTED = "submitted", _l("Reported done")  # the provider reports it done
    APPROVED = "approved", _l("Approved")  # an official accepts it; payment may follow
    PAID = "paid", _l("Paid")


class EvaluationConclusion(LabelledEnum):
    PASS = "pass", _l("Pass")
    PASS_WITH_REMARKS = "pass_with_remarks", _l("Pass with remarks")
    FAIL = "fail", _l("Fail")  # the milestone goes back to the provider


MILESTONE_TRANSITIONS: dict[MilestoneStatus, frozenset[MilestoneStatus]] = {
    MilestoneStatus.PLANNED: frozenset({MilestoneStatus.SUBMITTED}),
    MilestoneStatus.SUBMITTED: frozenset({MilestoneStatus.APPROVED, MilestoneStatus.PLANNED}),
    MilestoneStatus.APPROVED: frozenset({MilestoneStatus.PAID}),
    MilestoneStatus.PAID: frozenset(),
}




class Contract(Stateful, TimestampMixin, Base):
    """The engagement of one provider for one project, for an amount, paid by milestones."""

    __tablename__ = "contracts"
    __transitions__ = CONTRACT_TRANSITIONS
    __state_noun__ = "contract"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        # At most one live contract per project, or per lot of a split project (lot_seq 0 = the
        # whole project); a terminated one (award cancelled after an objection) frees the place.
        Index("uq_contracts_live_project_lot", "project_id", "lot_seq", unique=True,
              sqlite_where=text("status != 'terminated'"), postgresql_where=text("status != 'terminated'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    lot_seq: Mapped[int] = mapped_column(Integer, default=0)
    award_id: Mapped[int | None] = mapped_column(ForeignKey("awards.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[ContractStatus] = mapped_column(EnumText(ContractStatus, 20), default=ContractStatus.IN_NOTICE, index=True)
    notice_ends_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    project: Mapped[Project] = relationship()
    provider: Mapped[Organization] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(back_populates="contract", order_by="Milestone.seq",
                                                       cascade="all, delete-orphan")

    def policy_scope(self) -> Scope:
        """A contract stands in its project's street; the provider is its member organisation."""
        project = self.project
        return Scope(street_id=project.street_id, district_id=project.district_id, community_id=project.community_id, org_id=self.provider_id,
                     user_id=project.owner_id)


class Milestone(Stateful, Localized, TimestampMixin, Base):
    """A deliverable with a due date and the share of the contract paid when it is approved."""

    __tablename__ = "milestones"
    __transitions__ = MILESTONE_TRANSITIONS
    __state_noun__ = "milestone"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq"),
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[MilestoneStatus] = mapped_column(EnumText(MilestoneStatus, 20), default=MilestoneStatus.PLANNED)
    submitted_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submission_note: Mapped[str] = mapped_column(Text, default="")
    approved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    contract: Mapped[Contract] = relationship(back_populates="milestones")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    evaluations: Mapped[list[ContractEvaluation]] = relationship(
        back_populates="milestone", order_by="ContractEvaluation.id", cascade="all, delete-orphan")

    def policy_scope(self) -> Scope:
        return self.contract.policy_scope()


class ContractEvaluation(TimestampMixin, Base):
    """A third-party evaluation (第三方评估) of a milestone at its acceptance: the evaluator, its
    report (a stored file whose SHA-256 is recorded), its conclusion and the published summary.

    The evaluator is a verified organisation of the platform (``evaluator_org_id``; its name as it
    was then is kept in ``evaluator_name``) or, when it is not registered here, its name and its
    unified social credit code as the official typed them.
    """

    __tablename__ = "contract_evaluations"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("evaluator_name != ''", name="evaluator_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    evaluator_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    evaluator_name: Mapped[str] = mapped_column(String(200))
    evaluator_credit_code: Mapped[str] = mapped_column(String(18), default="")
    conclusion: Mapped[EvaluationConclusion] = mapped_column(EnumText(EvaluationConclusion, 20))
    summary: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime())

    milestone: Mapped[Milestone] = relationship(back_populates="evaluations")
    evaluator_org: Mapped[Organization | None] = relationship()

    def policy_scope(self) -> Scope:
        """Where its contract stands; the report is the provider's and the street's business."""
        return self.milestone.contract.policy_scope()
