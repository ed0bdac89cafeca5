"""The audit chain's signing keys, kept outside the database.

Keys come from ``AUDIT_KEYS`` (``id:hex,id:hex``, the last one signs new events) or from the file
``instance/audit_keys`` (one ``id hex`` pair per line, the last one current), created with one key
on first use. Rotating appends a key: new events are signed with it, older events keep verifying
with theirs, so no key may ever be removed while events signed with it exist.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

KEY_FILE = "audit_keys"


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    current_id: str


def parse_keys(text: str, *, separator: str | None) -> Keyring:
    """``id:hex,id:hex`` (separator ":") or lines of ``id hex`` (separator None) as a keyring."""
    keys: dict[str, bytes] = {}
    items = text.split(",") if separator else text.splitlines()
    for item in items:
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        key_id, _, value = item.partition(separator) if separator else item.partition(" ")
        key_id, value = key_id.strip(), value.strip()
        if not key_id or len(value) < 32:
            raise ValueError(f"audit key {key_id or '?'}: give an id and at least 16 bytes in hex")
        keys[key_id] = bytes.fromhex(value)
        current = key_id
    if not keys:
        raise ValueError("no audit key given")
    return Keyring(keys, current)


def _new_line() -> str:
    return f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)} {secrets.token_hex(32)}\n"


def load_keyring(instance_path: str, configured: str = "") -> Keyring:
    """The configured keys, else the instance's key file (created with one key when missing)."""
    if configured:
        return parse_keys(configured, separator=":")
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(_new_line())
    return parse_keys(path.read_text(), separator=None)


def rotate_key(instance_path: str) -> str:
    """Append a new key to the instance's key file; return its id (it signs from the next start)."""
    path = Path(instance_path) / KEY_FILE
    load_keyring(instance_path)  # make sure the file exists
    line = _new_line()
    with path.open("a") as handle:
        handle.write(line)
    return line.split(" ", 1)[0]
