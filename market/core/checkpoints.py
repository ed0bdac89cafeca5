"""Checkpoints of the audit chain, kept outside the database: after each commit that appended
events, the new head (``seq``, ``head``) is added to an append-only log.

Each checkpoint also carries ``prev``, the digest of the checkpoint before it, so the log is a
chain of its own: anyone who saved one published checkpoint can later check that it is still in
the published list, unchanged, and that every later checkpoint descends from it.

Three stores: a file beside the instance (one machine), Redis (several machines), memory (tests).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

GENESIS = "0" * 64


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # number of events in the chain at that moment
    head: str  # the hash of event ``seq``
    at: datetime
    prev: str  # digest of the previous checkpoint (GENESIS for the first)
    note: str = ""  # set on a checkpoint written by a restore from backup: what was lost

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def to_dict(self) -> dict:
        data = {"seq": self.seq, "head": self.head, "at": self.at.astimezone(UTC).isoformat(timespec="seconds"),
                "prev": self.prev}
        if self.note:
            data["note"] = self.note
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        data = json.loads(line)
        return cls(int(data["seq"]), str(data["head"]), datetime.fromisoformat(data["at"]), str(data["prev"]),
                   str(data.get("note", "")))


def next_checkpoint(previous: Checkpoint | None, seq: int, head: str, at: datetime,
                    note: str = "") -> Checkpoint | None:
    """The checkpoint to append after ``previous``, or None when it would not move the head forward.

    A ``note`` (a restore from backup, saying what was lost) is appended even when it moves the
    head back: the log keeps the history, and says why.
    """
    if previous is not None and seq <= previous.seq and not note:
        return None  # a slower process committing an older head: the log already reaches further
    return Checkpoint(seq, head, at.replace(microsecond=0), previous.digest if previous else GENESIS, note)


class CheckpointLog(Protocol):
    def append(self, *, seq: int, head: str, at: datetime, note: str = "") -> None: ...
    def latest(self) -> Checkpoint | None: ...
    def all(self) -> Iterator[Checkpoint]: ...


def verify_log(checkpoints: list[Checkpoint]) -> int | None:
    """Index of the first checkpoint that does not descend from the one before it, or None."""
    previous = GENESIS
    for index, checkpoint in enumerate(checkpoints):
        if checkpoint.prev != previous:
            return index
        previous = checkpoint.digest
    return None


class MemoryCheckpointLog:
    """For tests: kept in this process."""

    def __init__(self) -> None:
        self._items: list[Checkpoint] = []
        self._lock = threading.Lock()

    def append(self, *, seq: int, head: str, at: datetime, note: str = "") -> None:
        with self._lock:
            checkpoint = next_checkpoint(self._items[-1] if self._items else None, seq, head, at, note)
            if checkpoint is not None:
                self._items.append(checkpoint)

    def latest(self) -> Checkpoint | None:
        return self._items[-1] if self._items else None

    def all(self) -> Iterator[Checkpoint]:
        return iter(list(self._items))

    def reset(self) -> None:
        self._items.clear()


class FileCheckpointLog:
    """JSON lines in a file; appends take an exclusive lock so processes of one machine take turns."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @staticmethod
    def _last_line(handle) -> str:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        block = b""
        position = size
        while position > 0 and block.count(b"\n") < 2:
            step = min(4096, position)
            position -= step
            handle.seek(position)
            block = handle.read(step) + block
        for line in reversed([line for line in block.split(b"\n") if line.strip()]):
            try:
                Checkpoint.from_json(line.decode())
            except (ValueError, KeyError, UnicodeDecodeError):
                continue  # a line torn by a crash mid-write: the one before it stands
            return line.decode()
        return ""

    def append(self, *, seq: int, head: str, at: datetime, note: str = "") -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(fd, "rb+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                last = self._last_line(handle)
                checkpoint = next_checkpoint(Checkpoint.from_json(last) if last else None, seq, head, at, note)
                if checkpoint is not None:
                    handle.write((checkpoint.to_json() + "\n").encode())
                    handle.flush()
                    os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def latest(self) -> Checkpoint | None:
        if not self.path.exists():
            return None
        with self.path.open("rb") as handle:
            last = self._last_line(handle)
        return Checkpoint.from_json(last) if last else None

    def all(self) -> Iterator[Checkpoint]:
        if not self.path.exists():
            return iter(())
        entries = []
        with self.path.open() as handle:
            for line in handle:
                try:
                    entries.append(Checkpoint.from_json(line))
                except (ValueError, KeyError):
                    continue  # a line torn by a crash mid-write
        return iter(entries)


class RedisCheckpointLog:
    """A Redis list shared by every machine; appends are a WATCH/MULTI transaction on the list."""

    def __init__(self, url: str, key: str = "market:audit:checkpoints") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.key = key

    def append(self, *, seq: int, head: str, at: datetime, note: str = "") -> None:
        import redis

        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(self.key)
                    last = pipe.lindex(self.key, -1)
                    checkpoint = next_checkpoint(Checkpoint.from_json(last.decode()) if last else None, seq, head,
                                                 at, note)
                    if checkpoint is None:
                        pipe.unwatch()
                        return
                    pipe.multi()
                    pipe.rpush(self.key, checkpoint.to_json())
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue

    def latest(self) -> Checkpoint | None:
        last = self.client.lindex(self.key, -1)
        return Checkpoint.from_json(last.decode()) if last else None

    def all(self) -> Iterator[Checkpoint]:
        return iter([Checkpoint.from_json(item.decode()) for item in self.client.lrange(self.key, 0, -1)])


def checkpoint_log_from_config(setting: str, instance_path: str, redis_url: str = "") -> CheckpointLog:
    """``memory``, ``redis`` (needs REDIS_URL), a file path, or empty for ``instance/audit-checkpoints.jsonl``."""
    if setting == "memory":
        return MemoryCheckpointLog()
    if setting == "redis":
        if not redis_url:
            raise ValueError("MARKET_AUDIT_CHECKPOINTS=redis needs REDIS_URL")
        return RedisCheckpointLog(redis_url)
    return FileCheckpointLog(setting or Path(instance_path) / "audit-checkpoints.jsonl")
