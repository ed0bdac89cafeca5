"""Acceptance and rating (事后评价), and the provider reputation the ratings feed."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market.accounts.models import User
from market.contracts.models import ContractStatus
from market.core import policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.core.state import transition
from market.micro.models import DEFAULT_RATING_DAYS, RATING_CRITERIA, Acceptance, Rating
from market.micro.services.common import (
    clean_text,
    community_residents,
    is_authenticated,
    responsible_official,
)
from market.micro.services.supervision import contract_of, micro_scope, require_micro
from market.notifications.services import notify
from market.projects.models import Project, ProjectStatus
from matching.score import reputation_score

# Weight of the prior in pseudo-ratings: a provider needs several ratings before its average moves far from 3.
REPUTATION_PRIOR_MEAN = 3.0
REPUTATION_PRIOR_WEIGHT = 5.0


def acceptance_of(project: Project) -> Acceptance | None:
    return db.session.scalar(select(Acceptance).where(Acceptance.project_id == project.id))


def accept_project(actor: User, project: Project, report: str, *, rating_days: int = DEFAULT_RATING_DAYS,
                   now: datetime | None = None) -> Acceptance:
    """The responsible official records the acceptance (验收): project and contract complete, rating opens."""
    now = now or utcnow()
    require_micro(project)
    if not responsible_official(actor, project):
        raise PermissionDenied(_l("Only the official responsible for this project records its acceptance."))
    errors: dict[str, Any] = {}
    text = clean_text(report, "report", errors, max_length=10_000)
    if not 1 <= rating_days <= 365:
        errors["rating_days"] = _l("Between 1 and 365 days.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    contract = contract_of(project)
    if contract is None:
        raise Conflict(_l("No provider is engaged for this project yet."))
    transition(project, ProjectStatus.COMPLETED, actor=actor, action="project.completed")
    transition(contract, ContractStatus.COMPLETED, actor=actor, action="contract.completed")
    acceptance = Acceptance(project_id=project.id, official_id=actor.id, report=text, accepted_at=now,
                            rating_opens_at=now, rating_closes_at=now + timedelta(days=rating_days))
    db.session.add(acceptance)
    db.session.flush()
    record(actor, "micro.project_accepted", acceptance,
           after={"project_id": project.id, "rating_closes_at": acceptance.rating_closes_at})
    notify(community_residents(project.community_id, project.street_id),
           "micro.rating_open", {"project": project.title, "project_en": project.title_en,
                                 "closes_at": acceptance.rating_closes_at.isoformat()},
           f"/micro/projects/{project.id}/rate", now=now)
    return acceptance


def rating_of(user: Any, project: Project) -> Rating | None:
    if not is_authenticated(user):
        return None
    return db.session.scalar(select(Rating).where(Rating.project_id == project.id, Rating.user_id == user.id))


def rating_problem(user: Any, project: Project, now: datetime | None = None) -> str | None:
    """Why ``user`` cannot rate ``project`` now, or None."""
    now = now or utcnow()
    acceptance = acceptance_of(project)
    if acceptance is None:
        return str(_l("Rating opens when the project has been accepted."))
    if not acceptance.rating_is_open(now):
        return str(_l("The rating period is over."))
    if not policy.can(user, "micro_project.rate", micro_scope(project)):
        return str(policy.rule("micro_project.rate").message)
    if rating_of(user, project) is not None:
        return str(_l("You have already rated this project."))
    return None


def projects_to_rate(user: User, now: datetime | None = None) -> list[Project]:
    """Accepted projects of the resident's community whose rating is open and that they have not rated yet."""
    if user.community_id is None or not user.is_verified:
        return []
    now = now or utcnow()
    rated = select(Rating.project_id).where(Rating.user_id == user.id)
    return list(db.session.scalars(
        select(Project).join(Acceptance, Acceptance.project_id == Project.id)
        .where(Project.community_id == user.community_id, Acceptance.rating_opens_at <= now,
               Acceptance.rating_closes_at > now, Project.id.not_in(rated))
        .order_by(Acceptance.rating_closes_at, Project.id).limit(20)))


def rate_project(actor: User, project: Project, stars: dict[str, int], comment: str = "", *,
                 now: datetime | None = None) -> Rating:
    """A verified resident rates an accepted project once, 1-5 stars per published criterion."""
    now = now or utcnow()
    require_micro(project)
    acceptance = acceptance_of(project)
    policy.require(actor, "micro_project.rate", micro_scope(project))
    if acceptance is None or not acceptance.rating_is_open(now):
        raise Conflict(_l("Rating is not open for this project."))
    if rating_of(actor, project) is not None:
        raise Conflict(_l("You have already rated this project."))
    errors: dict[str, Any] = {}
    for criterion in RATING_CRITERIA:
        value = stars.get(criterion)
        if not isinstance(value, int) or not 1 <= value <= 5:
            errors[criterion] = _l("From 1 to 5 stars.")
    text = clean_text(comment, "comment", errors, required=False, max_length=2000)
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    contract = contract_of(project)
    rating = Rating(project_id=project.id, user_id=actor.id, provider_id=contract.provider_id if contract else None,
                    comment=text, created_at=now, **{c: stars[c] for c in RATING_CRITERIA})
    db.session.add(rating)
    db.session.flush()
    record(actor, "micro.project_rated", rating,
           after={"project_id": project.id, "provider_id": rating.provider_id, **{c: stars[c] for c in RATING_CRITERIA}})
    return rating


@dataclass(frozen=True)
class RatingSummary:
    count: int
    averages: dict[str, float]

    @property
    def overall(self) -> float:
        return sum(self.averages.values()) / len(self.averages) if self.count else 0.0


def rating_summary(project: Project) -> RatingSummary:
    columns = [func.avg(getattr(Rating, c)) for c in RATING_CRITERIA]
    row = db.session.execute(select(func.count(Rating.id), *columns).where(Rating.project_id == project.id)).one()
    return RatingSummary(row[0], {c: float(v or 0) for c, v in zip(RATING_CRITERIA, row[1:], strict=True)})


def project_ratings(project: Project) -> list[Rating]:
    return list(db.session.scalars(select(Rating).where(Rating.project_id == project.id)
                                   .order_by(Rating.created_at.desc(), Rating.id.desc())))


# ------------------------------------------------------------------ reputation

def provider_rating_totals(org_ids: Iterable[int]) -> dict[int, tuple[float, int]]:
    """``{org_id: (sum of ratings in stars, number of ratings)}`` for the matcher; a rating's
    stars are the mean over the criteria. Organisations without ratings are left out."""
    ids = sorted(set(org_ids))
    if not ids:
        return {}
    stars_sum = sum(getattr(Rating, c) for c in RATING_CRITERIA)
    rows = db.session.execute(select(Rating.provider_id, func.sum(stars_sum), func.count(Rating.id))
                              .where(Rating.provider_id.in_(ids)).group_by(Rating.provider_id))
    return {org_id: (float(total) / len(RATING_CRITERIA), int(n)) for org_id, total, n in rows}


@dataclass(frozen=True)
class Reputation:
    """A provider's reputation from residents' ratings."""

    count: int
    average: float  # plain mean in stars (0 without ratings)
    stars: float  # Bayesian average in stars, what the matcher uses
    score: float  # the same in [0, 1]


def provider_reputation(org_id: int) -> Reputation:
    total, count = provider_rating_totals([org_id]).get(org_id, (0.0, 0))
    score = reputation_score(total, count, prior_mean=REPUTATION_PRIOR_MEAN, prior_weight=REPUTATION_PRIOR_WEIGHT)
    return Reputation(count, total / count if count else 0.0, 1 + 4 * score, score)
