"""Labels of the marketplace's statuses, for values that may arrive as plain strings (stored results)."""
from __future__ import annotations

from market.bids.models import BidStatus
from market.contracts.models import ContractStatus, MilestoneStatus
from market.core.enums import label_of
from market.funds.models import CommitmentStatus
from market.review.models import AwardObjectionStatus, AwardStatus, DecisionKind, MatchProposalStatus, RunStatus

ENUMS = {"bid": BidStatus, "run": RunStatus, "proposal": MatchProposalStatus, "award": AwardStatus,
         "objection": AwardObjectionStatus, "contract": ContractStatus, "milestone": MilestoneStatus,
         "commitment": CommitmentStatus, "decision": DecisionKind}


def status_label(kind: str, value: object) -> str:
    """The label of ``value`` (a status string or enum member) for objects of ``kind``."""
    enum = ENUMS.get(kind)
    try:
        return label_of(enum(value)) if enum is not None else str(value)
    except ValueError:
        return str(value)
