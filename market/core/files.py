"""Uploaded files kept under the instance folder (never in ``static``): checking and storing them.

One place for what every upload goes through: a safe display name, an accepted type whose content
starts as that type does, a size limit, a SHA-256 fingerprint, and a random stored name that says
nothing about the file.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

from market.core.errors import ValidationFailed

# Accepted types: extension -> (MIME type served, magic prefixes the content must start with).
DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
}


@dataclass(frozen=True)
class Upload:
    """A file as the route read it: its name and bytes (at most the limit plus one, to tell it was larger)."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed :func:`check_upload`."""

    name: str
    extension: str
    content_type: str
    size_bytes: int
    sha256: str


def safe_name(filename: str, fallback: str = "attachment") -> str:
    """The file's own name without folders or characters that mean something to a file system."""
    name = Path(filename.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    return name[-150:] or fallback


def check_upload(upload: Upload, *, max_bytes: int, types: dict[str, tuple[str, tuple[bytes, ...]]] | None = None,
                 field_name: str = "attachments") -> CheckedFile:
    """Check an upload's name, type, size and content; raise :class:`ValidationFailed` naming ``field_name``."""
    types = DOCUMENT_TYPES if types is None else types
    name = safe_name(upload.filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in types:
        raise ValidationFailed(_l("%(name)s: this kind of file is not accepted.", name=name),
                               fields={field_name: _l("Accepted: %(types)s.", types=", ".join(sorted(types)))})
    if not upload.data:
        raise ValidationFailed(_l("%(name)s is empty.", name=name), fields={field_name: _l("The file is empty.")})
    if len(upload.data) > max_bytes:
        raise ValidationFailed(_l("%(name)s is too large.", name=name),
                               fields={field_name: _l("At most %(mb)d MB.", mb=max_bytes // (1024 * 1024))})
    content_type, magics = types[extension]
    if not any(upload.data.startswith(magic) for magic in magics):
        raise ValidationFailed(_l("%(name)s: the content does not match the file's name.", name=name),
                               fields={field_name: _l("The file's content does not match its name.")})
    return CheckedFile(name, extension, content_type, len(upload.data), hashlib.sha256(upload.data).hexdigest())


def stored_path(storage_root: str | Path, folder: str, stored_name: str) -> Path:
    """Where a stored file lives: ``<storage_root>/<folder>/<stored_name>``."""
    return Path(storage_root) / folder / stored_name


def store(storage_root: str | Path, folder: str, checked: CheckedFile, data: bytes) -> str:
    """Write a checked file under a new random name in ``folder``; return that name."""
    stored_name = f"{secrets.token_hex(16)}.{checked.extension}"
    target = Path(storage_root) / folder
    target.mkdir(parents=True, exist_ok=True)
    (target / stored_name).write_bytes(data)
    return stored_name
