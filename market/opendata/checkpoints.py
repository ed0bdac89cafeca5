"""The audit chain's checkpoints, published: the latest one and the last one of each earlier day."""
from __future__ import annotations

from typing import Any

from market.core.audit import checkpoint_log
from market.core.calendar import local_date
from market.core.checkpoints import verify_log


def published() -> dict[str, Any]:
    """What ``/api/v1/audit/checkpoints.json`` answers."""
    every = list(checkpoint_log().all())
    daily: dict[str, Any] = {}
    for checkpoint in every:
        daily[local_date(checkpoint.at).isoformat()] = checkpoint
    chosen = list(daily.values())
    broken = verify_log(every)
    return {"count": len(every), "log_intact": broken is None,
            "latest": every[-1].to_dict() | {"digest": every[-1].digest} if every else None,
            "daily": [c.to_dict() | {"digest": c.digest} for c in chosen]}
