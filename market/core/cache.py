"""A small per-process cache of values that may be a moment old (listing totals, filter choices)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class TTLCache:
    """Values kept for ``seconds`` per key; ``seconds <= 0`` turns caching off (tests do)."""

    def __init__(self, seconds: float, max_entries: int = 10_000):
        self.seconds = seconds
        self.max_entries = max_entries
        self._values: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for ``key``, or ``compute()`` kept from now on."""
        if self.seconds <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(key)
        if cached is not None and now - cached[0] < self.seconds:
            return cached[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if len(self._values) >= self.max_entries:  # many distinct keys: start afresh rather than grow
                self._values.clear()
            self._values[key] = (now, value)
        return value
