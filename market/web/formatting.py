"""Jinja filters and labels shared by every template."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from flask import request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l

from market.accounts.models import Role
from market.bids.models import BidStatus
from market.contracts.models import ContractStatus, MilestoneStatus
from market.funding.models import CampaignStatus, MatchingRule, PledgeStatus
from market.funds.models import CommitmentStatus
from market.geo.models import ProjectType
from market.micro.models import (
    BallotType,
    FlagKind,
    FlagStatus,
    ObjectionStatus,
    ProposalStatus,
    RoundPhase,
    SelectionRule,
)
from market.money import money  # noqa: F401  (the template filter)
from market.orgs.models import OrgKind, VerificationState
from market.payments.models import PaymentMethod, PaymentPurpose, PaymentStatus, PayoutMethod, PayoutStatus
from market.projects.models import ProjectKind, ProjectStatus
from market.review.models import AwardObjectionStatus, AwardStatus, DecisionKind, MatchProposalStatus, RunStatus

ENUM_LABELS: dict[Enum, object] = {
    Role.RESIDENT: _l("Resident"),
    Role.PROVIDER: _l("Provider"),
    Role.FUNDER: _l("Funder"),
    Role.OFFICIAL: _l("Official"),
    Role.ADMIN: _l("Administrator"),
    ProjectType.SERVICE: _l("Service"),
    ProjectType.GOODS: _l("Goods"),
    ProjectType.WORKS: _l("Works"),
    OrgKind.SOCIAL_ORGANISATION: _l("Social organisation"),
    OrgKind.ENTERPRISE: _l("Enterprise"),
    OrgKind.FOUNDATION: _l("Foundation"),
    OrgKind.GOVERNMENT: _l("Government department"),
    VerificationState.PENDING: _l("Awaiting verification"),
    VerificationState.VERIFIED: _l("Verified"),
    VerificationState.REJECTED: _l("Verification refused"),
    ProjectKind.GOVERNMENT_SERVICE: _l("Government-purchased service"),
    ProjectKind.PUBLIC_BENEFIT: _l("Public-benefit project"),
    ProjectKind.MICRO: _l("Resident micro-project"),
    ProjectStatus.DRAFT: _l("Draft"),
    ProjectStatus.OPEN: _l("Open"),
    ProjectStatus.EVALUATING: _l("Evaluating"),
    ProjectStatus.AWARDED: _l("Awarded"),
    ProjectStatus.IN_PROGRESS: _l("In progress"),
    ProjectStatus.COMPLETED: _l("Completed"),
    ProjectStatus.CANCELLED: _l("Cancelled"),
    # Marketplace (market.bids, market.review): only values no other enum uses, since labels are
    # looked up by value; their templates use market.review.labels.status_label.
    BidStatus.NOT_AWARDED: _l("Not chosen"),
    RunStatus.QUEUED: _l("Queued"),
    RunStatus.RUNNING: _l("Running"),
    RunStatus.SUCCEEDED: _l("Finished"),
    MatchProposalStatus.PROPOSED: _l("Proposed"),
    MatchProposalStatus.SUPERSEDED: _l("Superseded"),
    AwardStatus.IN_NOTICE: _l("In public notice"),
    AwardStatus.CONFIRMED: _l("Confirmed"),
    AwardObjectionStatus.DISMISSED: _l("Dismissed"),
    AwardObjectionStatus.UPHELD: _l("Upheld"),
    ContractStatus.SIGNED: _l("Signed"),
    ContractStatus.TERMINATED: _l("Terminated"),
    MilestoneStatus.PLANNED: _l("Planned"),
    CommitmentStatus.RESERVED: _l("Reserved"),
    DecisionKind.PIN: _l("Keep (pin)"),
    DecisionKind.FORBID: _l("Exclude (forbid)"),
    PaymentPurpose.DONATION: _l("Donation"),
    PaymentPurpose.POOL_TOPUP: _l("Pool top-up"),
    PaymentMethod.STRIPE_CHECKOUT: _l("Online payment (Stripe)"),
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
    PaymentStatus.PENDING: _l("Awaiting payment"),
    PaymentStatus.PAID: _l("Received"),
    PaymentStatus.EXPIRED: _l("Expired unpaid"),
    PaymentStatus.FAILED: _l("Failed"),
    PaymentStatus.CANCELLED: _l("Not received"),
    PayoutMethod.STRIPE_TRANSFER: _l("Stripe Connect transfer"),
    PayoutMethod.BANK_TRANSFER: _l("Bank transfer"),
    PayoutStatus.PENDING: _l("To be confirmed"),
    PayoutStatus.PAID: _l("Paid"),
    PayoutStatus.FAILED: _l("Failed"),
    PledgeStatus.ACTIVE: _l("Pledged"),
    PledgeStatus.RELEASED: _l("Released to the project"),
    PledgeStatus.WITHDRAWN: _l("Withdrawn"),
    MatchingRule.ONE_TO_ONE: _l("1:1 match up to a cap"),
    MatchingRule.QUADRATIC: _l("Quadratic funding"),
    CampaignStatus.OPEN: _l("Open"),
    CampaignStatus.CLOSED: _l("Closed"),
    CampaignStatus.CANCELLED: _l("Cancelled"),
    # Resident micro-projects (market.micro)
    RoundPhase.COLLECTION: _l("Collecting proposals"),
    RoundPhase.REVIEW: _l("Under review"),
    RoundPhase.VOTING: _l("Voting"),
    RoundPhase.NOTICE: _l("Public notice"),
    RoundPhase.FINAL: _l("Results final"),
    RoundPhase.CANCELLED: _l("Cancelled"),
    ProposalStatus.DRAFT: _l("Draft"),
    ProposalStatus.SUBMITTED: _l("Submitted"),
    ProposalStatus.NEEDS_CHANGES: _l("Needs changes"),
    ProposalStatus.FEASIBLE: _l("Feasible"),
    ProposalStatus.DECLINED: _l("Rejected"),
    ProposalStatus.MERGED: _l("Merged"),
    ProposalStatus.SELECTED: _l("Selected"),
    ProposalStatus.NOT_SELECTED: _l("Not selected"),
    BallotType.APPROVAL: _l("Approval: tick the projects you support"),
    BallotType.KNAPSACK: _l("Knapsack: tick projects that fit the budget together"),
    SelectionRule.GREEDY: _l("Greedy by votes"),
    SelectionRule.MES_ADD1_GREEDY: _l("Method of Equal Shares"),
    SelectionRule.MES: _l("Method of Equal Shares, without completion"),
    SelectionRule.MAX_WELFARE: _l("Maximum welfare"),
    FlagKind.SAFETY: _l("Safety"),
    FlagKind.DELAY: _l("Delay"),
    FlagKind.QUALITY: _l("Quality"),
    FlagStatus.UNANSWERED: _l("Awaiting answer"),
    FlagStatus.ANSWERED: _l("Answered"),
    ObjectionStatus.UNANSWERED: _l("Awaiting answer"),
    ObjectionStatus.ANSWERED: _l("Answered"),
}


def enum_label(value: Enum | str | None) -> str:
    """Translated label of an enum member (or its raw value when unknown)."""
    if value is None:
        return ""
    # StrEnum members hash like their values, so a raw string from the database finds its label too.
    label = ENUM_LABELS.get(value)
    return str(label) if label is not None else str(value)


def date_label(value: date | None) -> str:
    return format_date(value, "medium") if value else ""


def datetime_label(value: datetime | None) -> str:
    return format_datetime(value, "medium") if value else ""


def page_url(page: int) -> str:
    """The current listing URL with ``page`` replaced, keeping every filter."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)
