"""What the dashboard shows about micro-projects, per role."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from market.accounts.models import Role, User
from market.core.db import db, utcnow
from market.geo.services import limit_to_jurisdiction
from market.micro.models import Flag, MicroRound, Proposal
from market.micro.services.evaluation import projects_to_rate
from market.micro.services.review import review_queue
from market.micro.services.rounds import ACTIVE_PHASES, current_rounds_for
from market.micro.services.supervision import followed_projects, unanswered_flags_for
from market.projects.models import Project


@dataclass
class MicroDashboard:
    current_rounds: list[MicroRound] = field(default_factory=list)
    to_rate: list[Project] = field(default_factory=list)
    my_proposals: list[Proposal] = field(default_factory=list)
    followed: list[Project] = field(default_factory=list)
    to_review: list[Proposal] = field(default_factory=list)
    open_rounds: list[MicroRound] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    now: datetime = field(default_factory=utcnow)

    @property
    def overdue_flags(self) -> list[Flag]:
        return [f for f in self.flags if f.is_overdue(self.now)]


def dashboard_for(user: User, now: datetime | None = None) -> MicroDashboard:
    board = MicroDashboard(now=now or utcnow())
    if user.role == Role.RESIDENT:
        board.current_rounds = current_rounds_for(user.community_id)
        board.to_rate = projects_to_rate(user, board.now)
        board.my_proposals = list(db.session.scalars(select(Proposal).where(Proposal.author_id == user.id)
                                                     .order_by(Proposal.updated_at.desc()).limit(20)))
    if user.role in (Role.OFFICIAL, Role.ADMIN):
        board.to_review = review_queue(user)
        stmt = select(MicroRound).where(MicroRound.phase.in_(ACTIVE_PHASES)).order_by(MicroRound.id)
        stmt = limit_to_jurisdiction(stmt, user, MicroRound.street_id)
        board.open_rounds = list(db.session.scalars(stmt.limit(50)))
        board.flags = unanswered_flags_for(user)
    board.followed = followed_projects(user)
    return board
