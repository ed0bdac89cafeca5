"""The audit chain's checkpoints, published: every one of them, oldest first, a page at a time.

Oldest first keeps every page stable as the log grows, so a checkpoint a citizen saved is always
found again on the same page.
"""
from __future__ import annotations

from typing import Any

from market.core.audit import checkpoint_log
from market.core.checkpoints import verify_log
from market.opendata.common import page_links


def published(*, page: int, per_page: int) -> dict[str, Any]:
    """What ``/api/v1/audit/checkpoints.json`` answers: the latest checkpoint, whether the whole log's
    links hold, and one page of all checkpoints, each with its position (``index``) and ``digest``."""
    every = list(checkpoint_log().all())
    broken = verify_log(every)
    start = (page - 1) * per_page

    def shown(index: int) -> dict[str, Any]:
        return {"index": index} | every[index].to_dict() | {"digest": every[index].digest}

    return {"count": len(every), "log_intact": broken is None, "first_broken_index": broken,
            "latest": shown(len(every) - 1) if every else None,
            "page": page, "per_page": per_page,
            "links": page_links("opendata.audit_checkpoints", page, per_page, len(every)),
            "checkpoints": [shown(index) for index in range(start, min(start + per_page, len(every)))]}
