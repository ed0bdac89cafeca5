"""Labels of the marketplace's statuses.

Many of these values ("submitted", "approved", "rejected", "open", ...) are shared with other
enums, and ``enum_label`` looks labels up by value, so the templates of bids and review use
:func:`status_label` with the kind of object named explicitly.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS: dict[str, dict[str, object]] = {
    "bid": {"submitted": _l("Submitted (sealed)"), "withdrawn": _l("Withdrawn"), "awarded": _l("Won"),
            "not_awarded": _l("Not chosen")},
    "run": {"queued": _l("Queued"), "running": _l("Running"), "succeeded": _l("Finished"), "failed": _l("Failed")},
    "proposal": {"proposed": _l("Proposed"), "approved": _l("Approved"), "rejected": _l("Rejected"),
                 "superseded": _l("Superseded")},
    "award": {"in_notice": _l("In public notice"), "confirmed": _l("Confirmed"), "cancelled": _l("Cancelled")},
    "objection": {"open": _l("Awaiting answer"), "dismissed": _l("Dismissed"), "upheld": _l("Upheld")},
    "contract": {"in_notice": _l("In public notice"), "signed": _l("Signed"), "completed": _l("Completed"),
                 "terminated": _l("Terminated")},
    "milestone": {"planned": _l("Planned"), "submitted": _l("Reported done"), "approved": _l("Approved"),
                  "paid": _l("Paid")},
    "commitment": {"reserved": _l("Reserved"), "paid": _l("Paid out"), "released": _l("Released to the pool")},
    "decision": {"pin": _l("Keep (pin)"), "forbid": _l("Exclude (forbid)")},
}


def status_label(kind: str, value: object) -> str:
    """The label of ``value`` (a status string or StrEnum) for objects of ``kind``."""
    label = LABELS.get(kind, {}).get(str(value))
    return str(label) if label is not None else str(value)
