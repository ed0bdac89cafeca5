"""Shared rules: who may act where, text checks, and photo uploads."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market.accounts.models import Role, User
from market.core import policy
from market.core.audit import record
from market.core.db import db
from market.core.errors import PermissionDenied, ValidationFailed
from market.core.money import money
from market.micro.models import Comment, MicroRound, Photo, ProgressUpdate, Proposal
from market.projects.models import Project

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 6
MAX_TEXT = 10_000
# Image signatures (magic bytes) we accept, with the content type and the extension we store under.
_JPEG = (b"\xff\xd8\xff", "image/jpeg", ".jpg")
_PNG = (b"\x89PNG\r\n\x1a\n", "image/png", ".png")
ALLOWED_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp"})


def is_authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def governs(user: Any, street_id: int | None) -> bool:
    """Officials of the street (district-wide officials and administrators included)."""
    return policy.governs_street(user, street_id)


def community_street_id(community_id: int | None) -> int | None:
    from market.geo.models import Community

    community = db.session.get(Community, community_id) if community_id else None
    return community.street_id if community else None


def is_verified_resident_of(user: Any, community_id: int | None) -> bool:
    return (is_authenticated(user) and user.role == Role.RESIDENT and user.is_verified and not user.is_disabled
            and community_id is not None and user.community_id == community_id)


def require_round_resident(actor: User, round_: MicroRound, what: Any) -> None:
    """Refuse, with a message that says why, anyone who is not a verified resident the round covers."""
    if actor.role != Role.RESIDENT:
        raise PermissionDenied(_l("Only residents can %(what)s.", what=what), code="not_resident")
    if not round_.covers(actor.community_id, community_street_id(actor.community_id)):
        raise PermissionDenied(_l("This round is for residents of %(place)s only.", place=round_place(round_)),
                               code="other_community")
    if not actor.is_verified:
        street = actor.community.street.tr("name", current_locale()) if actor.community else ""
        raise PermissionDenied(_l("Your residence has not been verified yet; your street office verifies residents "
                                  "before they can %(what)s.", what=what), code="unverified",
                               advice=_l("Your account awaits verification by %(street)s. Once an official there has "
                                         "checked your address you can take part.", street=street) if street else None)
    policy.require(actor, "round.take_part", round_)


def current_locale() -> str:
    """The reader's language for names put into messages (Chinese outside a request)."""
    from flask_babel import get_locale

    return str(get_locale() or "zh")


def round_place(round_: MicroRound) -> str:
    return (round_.community or round_.street).tr("name", current_locale())


class When:
    """A timestamp put into a message, formatted in the reader's language and time zone when shown."""

    def __init__(self, value: datetime) -> None:
        self.value = value

    def __str__(self) -> str:
        from market.ui.formatting import datetime_label

        try:
            return datetime_label(self.value)
        except RuntimeError:  # outside a request (command line): no reader, so no reader's format
            return self.value.isoformat(timespec="minutes")


def clean_text(value: str | None, field: str, errors: dict[str, Any], *, required: bool = True,
               max_length: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = _l("This field is required.")
    elif len(text) > max_length:
        errors[field] = _l("At most %(n)d characters.", n=max_length)
    return text


def new_comment(actor: User, body: str | None, now: datetime, **target: int) -> Comment:
    """Check and add a comment on a proposal or a project (``proposal_id=`` or ``project_id=``), audited."""
    errors: dict[str, Any] = {}
    text = clean_text(body, "body", errors, max_length=2000)
    if errors:
        raise ValidationFailed(_l("Please write a comment."), fields=errors)
    comment = Comment(author_id=actor.id, body=text, created_at=now, **target)
    db.session.add(comment)
    db.session.flush()
    record(actor, "micro.comment_added", comment, after=target)
    return comment


def check_cap(round_: MicroRound, project_type: str, cost_cents: int, field: str, errors: dict[str, Any]) -> None:
    from market.ui.formatting import enum_label

    cap = round_.cap_for(project_type)
    if cost_cents > cap:
        errors[field] = _l("Over the cap: %(type)s projects in this round may cost at most %(cap)s.",
                           type=enum_label(project_type), cap=money(cap))


# ------------------------------------------------------------------ photos

@dataclass(frozen=True)
class PhotoUpload:
    """An uploaded file as the route read it (at most ``MAX_PHOTO_BYTES + 1`` bytes)."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    content_type: str
    extension: str


def size_label(n_bytes: int) -> str:
    """``5 MB``, ``300 KB``."""
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes // (1024 * 1024)} MB"
    return f"{max(1, n_bytes // 1024)} KB"


def _sniff(data: bytes) -> tuple[str, str] | None:
    """Content type and extension from the file's first bytes, or None for anything but JPEG/PNG/WebP."""
    for signature, content_type, extension in (_JPEG, _PNG):
        if data.startswith(signature):
            return content_type, extension
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def check_photos(uploads: list[PhotoUpload], already: int) -> list[CheckedPhoto]:
    """Refuse too many, too large, or non-image files (by content, not only by name)."""
    uploads = [u for u in uploads if u.filename or u.data]
    problems: list[Any] = []
    if already + len(uploads) > MAX_PHOTOS:
        problems.append(_l("At most %(n)d photos per entry.", n=MAX_PHOTOS))
    checked = []
    for upload in uploads:
        name = Path(upload.filename or "").name
        if len(upload.data) > MAX_PHOTO_BYTES:
            problems.append(_l("%(name)s is larger than %(size)s.", name=name, size=size_label(MAX_PHOTO_BYTES)))
            continue
        if not upload.data:
            problems.append(_l("%(name)s is empty.", name=name))
            continue
        sniffed = _sniff(upload.data)
        if Path(name).suffix.lower() not in ALLOWED_EXTENSIONS or sniffed is None:
            problems.append(_l("%(name)s is not a JPEG, PNG or WebP image.", name=name))
            continue
        checked.append(CheckedPhoto(upload.data, *sniffed))
    if problems:
        raise ValidationFailed(_l("Some photos could not be accepted."), fields={"photos": problems})
    return checked


def store_photos(upload_dir: Path, photos: list[CheckedPhoto], actor: User, *, proposal: Proposal | None = None,
                 update: ProgressUpdate | None = None) -> list[Photo]:
    """Write the files under random names and add their rows (the caller commits)."""
    if not photos:
        return []
    upload_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for photo in photos:
        stored_name = secrets.token_hex(16) + photo.extension
        (upload_dir / stored_name).write_bytes(photo.data)
        row = Photo(stored_name=stored_name, content_type=photo.content_type, size_bytes=len(photo.data),
                    uploaded_by_id=actor.id, proposal_id=proposal.id if proposal else None,
                    update_id=update.id if update else None)
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def can_view_photo(user: Any, photo: Photo) -> bool:
    """Photos of public proposals and of progress updates are public; drafts' only for author and officials."""
    if photo.update_id is not None:
        return True
    proposal = photo.proposal
    if proposal is None:
        return False
    return proposal.is_public or (is_authenticated(user) and (user.id == proposal.author_id
                                                              or governs(user, proposal.round.street_id)))


def responsible_official(user: Any, project: Project) -> bool:
    """The official who owns a micro-project (administrators stand in)."""
    return is_authenticated(user) and (user.id == project.owner_id or user.role == Role.ADMIN)


def community_residents(community_id: int | None, street_id: int | None = None) -> list[User]:
    """Verified, active residents of a community (or of every community of a street)."""
    from market.geo.models import Community

    stmt = select(User).where(User.role == Role.RESIDENT, User.verified_at.is_not(None), User.is_disabled.is_(False))
    if community_id is not None:
        stmt = stmt.where(User.community_id == community_id)
    elif street_id is not None:
        stmt = stmt.where(User.community_id.in_(select(Community.id).where(Community.street_id == street_id)))
    else:
        return []
    return list(db.session.scalars(stmt.order_by(User.id)))
