"""Implementation (事中监督): following a micro-project, progress updates, problem flags and comments."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from market.accounts.models import Role, User
from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from market.core.audit import record
from market.core.calendar import add_working_days
from market.core.db import db, utcnow
from market.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.core.policy import Scope
from market.core.state import transition
from market.micro.models import (
    DEFAULT_FLAG_ANSWER_WORKING_DAYS,
    Comment,
    Flag,
    FlagKind,
    FlagStatus,
    Follow,
    ProgressUpdate,
    Proposal,
)
from market.micro.services import routing
from market.micro.services.common import (
    PhotoUpload,
    check_photos,
    clean_text,
    governs,
    is_authenticated,
    is_verified_resident_of,
    new_comment,
    responsible_official,
    store_photos,
)
from market.notifications.services import notify
from market.projects.models import Project, ProjectKind, ProjectStatus

LIVE_STATUSES = (ProjectStatus.OPEN, ProjectStatus.EVALUATING, ProjectStatus.AWARDED, ProjectStatus.IN_PROGRESS)
UPDATE_STATUSES = (ProjectStatus.AWARDED, ProjectStatus.IN_PROGRESS)


def require_micro(project: Project) -> None:
    if project.kind != ProjectKind.MICRO or project.status == ProjectStatus.DRAFT:
        raise NotFound(_l("Not found."))


def contract_of(project: Project) -> Contract | None:
    """The project's live contract (the first lot's, if the marketplace split it into lots)."""
    return db.session.scalar(select(Contract).where(Contract.project_id == project.id,
                                                    Contract.status != ContractStatus.TERMINATED)
                             .order_by(Contract.lot_seq, Contract.id).limit(1))


def proposal_of(project: Project) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.project_id == project.id))


def micro_scope(project: Project) -> Scope:
    """Where a micro-project stands: its street and community, its responsible official, and the
    provider its contract engaged."""
    contract = contract_of(project)
    return Scope(street_id=project.street_id, district_id=project.district_id, community_id=project.community_id,
                 org_id=contract.provider_id if contract else None, user_id=project.owner_id,
                 public=project.status != ProjectStatus.DRAFT)


def is_provider_member(user: Any, contract: Contract | None) -> bool:
    return (is_authenticated(user) and contract is not None and user.role == Role.PROVIDER
            and user.organization_id == contract.provider_id)


def can_take_part(user: Any, project: Project) -> bool:
    """Verified residents of the community, the street's officials and the engaged provider's members."""
    return (is_verified_resident_of(user, project.community_id) or governs(user, project.street_id)
            or is_provider_member(user, contract_of(project)))


# ------------------------------------------------------------------ following

def is_following(user: Any, project: Project) -> bool:
    return is_authenticated(user) and db.session.scalar(select(Follow.id).where(
        Follow.project_id == project.id, Follow.user_id == user.id)) is not None


def follow_project(actor: User, project: Project, *, now: datetime | None = None) -> Follow:
    require_micro(project)
    if is_following(actor, project):
        raise Conflict(_l("You already follow this project."))
    follow = Follow(project_id=project.id, user_id=actor.id, created_at=now or utcnow())
    db.session.add(follow)
    db.session.flush()
    return follow


def unfollow_project(actor: User, project: Project) -> None:
    removed = db.session.execute(delete(Follow).where(Follow.project_id == project.id,
                                                      Follow.user_id == actor.id)).rowcount
    if not removed:
        raise Conflict(_l("You do not follow this project."))


def followers(project: Project) -> list[User]:
    return list(db.session.scalars(select(User).join(Follow, Follow.user_id == User.id)
                                   .where(Follow.project_id == project.id).order_by(User.id)))


def followed_projects(user: User) -> list[Project]:
    return list(db.session.scalars(select(Project).join(Follow, Follow.project_id == Project.id)
                                   .where(Follow.user_id == user.id).order_by(Project.updated_at.desc()).limit(20)))


# ------------------------------------------------------------------ progress updates

@dataclass(frozen=True)
class UpdateInput:
    body: str
    percent_complete: int
    milestone_id: int | None = None
    milestone_done: bool = False


def post_update(actor: User, project: Project, data: UpdateInput, photos: list[PhotoUpload] = (), *,
                upload_dir: Path, now: datetime | None = None) -> ProgressUpdate:
    """A member of the engaged provider reports progress (optionally reporting a milestone done)."""
    now = now or utcnow()
    require_micro(project)
    contract = contract_of(project)
    if not is_provider_member(actor, contract):
        raise PermissionDenied(_l("Only the engaged provider posts progress updates."))
    if project.status not in UPDATE_STATUSES:
        raise Conflict(_l("Progress is reported while the project is being delivered."))
    errors: dict[str, Any] = {}
    body = clean_text(data.body, "body", errors, max_length=4000)
    if not 0 <= data.percent_complete <= 100:
        errors["percent_complete"] = _l("Between 0 and 100.")
    milestone = None
    if data.milestone_id is not None:
        milestone = db.session.get(Milestone, data.milestone_id)
        if milestone is None or milestone.contract_id != contract.id:
            errors["milestone_id"] = _l("Not a milestone of this contract.")
    if data.milestone_done and milestone is None and "milestone_id" not in errors:
        errors["milestone_id"] = _l("Choose the milestone you report done.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    checked = check_photos(list(photos), 0)
    update = ProgressUpdate(project_id=project.id, milestone_id=milestone.id if milestone else None,
                            author_id=actor.id, body=body, percent_complete=data.percent_complete, created_at=now)
    db.session.add(update)
    db.session.flush()
    store_photos(upload_dir, checked, actor, update=update)
    record(actor, "micro.progress_update", update,
           after={"project_id": project.id, "milestone_id": update.milestone_id,
                  "percent_complete": data.percent_complete, "photos": len(checked)})
    if data.milestone_done:
        transition(milestone, MilestoneStatus.SUBMITTED, actor=actor, action="milestone.submitted")
    notify([u for u in followers(project) if u.id != actor.id], "micro.project_update",
           {"project": project.title, "project_en": project.title_en}, f"/micro/projects/{project.id}", now=now)
    return update


def updates_of(project: Project) -> list[ProgressUpdate]:
    return list(db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.project_id == project.id)
                                   .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())))


def progress_percent(project: Project) -> int | None:
    """The latest reported percentage; 100 once accepted; None while nobody has reported yet."""
    if project.status == ProjectStatus.COMPLETED:
        return 100
    return db.session.scalar(select(ProgressUpdate.percent_complete).where(ProgressUpdate.project_id == project.id)
                             .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc()).limit(1))


# ------------------------------------------------------------------ flags

def require_flag_reporter(actor: User, project: Project) -> None:
    """Only verified residents of the project's community report problems."""
    require_micro(project)
    if not is_verified_resident_of(actor, project.community_id):
        raise PermissionDenied(_l("Only verified residents of this community can report problems."))


def raise_flag(actor: User, project: Project, kind: FlagKind | str, body: str, *,
               now: datetime | None = None) -> Flag:
    """A verified resident of the community reports a safety, delay or quality problem; the
    responsible official must answer within 3 working days."""
    now = now or utcnow()
    require_flag_reporter(actor, project)
    if project.status not in LIVE_STATUSES:
        raise Conflict(_l("Problems are reported while the project is under way."))
    errors: dict[str, Any] = {}
    if kind not in set(FlagKind):
        errors["kind"] = _l("Unknown kind of problem.")
    text = clean_text(body, "body", errors, max_length=4000)
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    flag = Flag(project_id=project.id, author_id=actor.id, kind=FlagKind(kind), body=text, created_at=now,
                due_at=add_working_days(now, DEFAULT_FLAG_ANSWER_WORKING_DAYS))
    db.session.add(flag)
    db.session.flush()
    record(actor, "micro.flag_raised", flag, after={"project_id": project.id, "kind": flag.kind,
                                                   "due_at": flag.due_at})
    routing.route_flag(actor, flag, now=now)
    notify([project.owner], "micro.flag_raised", {"project": project.title, "project_en": project.title_en,
                                                  "due_at": flag.due_at.isoformat()},
           f"/micro/projects/{project.id}#flag-{flag.id}", now=now)
    return flag


def require_flag_answerer(actor: User, flag: Flag) -> None:
    if not responsible_official(actor, flag.project):
        raise PermissionDenied(_l("Only the official responsible for this project answers its flags."))


def answer_flag(actor: User, flag: Flag, answer: str, *, now: datetime | None = None) -> Flag:
    """The responsible official answers a flag, publicly."""
    now = now or utcnow()
    require_flag_answerer(actor, flag)
    errors: dict[str, Any] = {}
    text = clean_text(answer, "answer", errors, max_length=4000)
    if errors:
        raise ValidationFailed(_l("Please write the answer."), fields=errors)
    flag.answer = text
    flag.answered_by_id = actor.id
    flag.answered_at = now
    transition(flag, FlagStatus.ANSWERED, actor=actor, action="micro.flag_answered",
               after={"answer": text, "late": now > flag.due_at})
    routing.close_item(flag=flag, now=now)
    notify([flag.author], "micro.flag_answered", {"project": flag.project.title, "project_en": flag.project.title_en},
           f"/micro/projects/{flag.project_id}#flag-{flag.id}", now=now)
    return flag


def flags_of(project: Project) -> list[Flag]:
    return list(db.session.scalars(select(Flag).where(Flag.project_id == project.id)
                                   .order_by(Flag.created_at.desc(), Flag.id.desc())))


def unanswered_flags_for(official: User) -> list[Flag]:
    """Flags waiting for ``official``'s answer, the most urgent first."""
    stmt = select(Flag).join(Project, Flag.project_id == Project.id).where(Flag.status == FlagStatus.UNANSWERED)
    if official.role != Role.ADMIN:
        stmt = stmt.where(Project.owner_id == official.id)
    return list(db.session.scalars(stmt.order_by(Flag.due_at, Flag.id).limit(100)))


def overdue_count(official: User, now: datetime | None = None) -> int:
    now = now or utcnow()
    stmt = select(func.count(Flag.id)).join(Project, Flag.project_id == Project.id).where(
        Flag.status == FlagStatus.UNANSWERED, Flag.due_at < now)
    if official.role != Role.ADMIN:
        stmt = stmt.where(Project.owner_id == official.id)
    return db.session.scalar(stmt) or 0


# ------------------------------------------------------------------ comments

def require_project_commenter(actor: User, project: Project) -> None:
    require_micro(project)
    if not can_take_part(actor, project):
        raise PermissionDenied(_l("Only residents of this community, its officials and the provider can comment."))


def add_project_comment(actor: User, project: Project, body: str, *, now: datetime | None = None) -> Comment:
    require_project_commenter(actor, project)
    return new_comment(actor, body, now or utcnow(), project_id=project.id)


def project_comments(project: Project) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(Comment.project_id == project.id)
                                   .order_by(Comment.created_at, Comment.id)))
