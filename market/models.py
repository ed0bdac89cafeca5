"""Imports every model so metadata (and Alembic autogenerate) sees all tables."""
from market.accounts.models import Role, User  # noqa: F401
from market.bids.models import Bid, BidAttachment, BidStatus, Lot, Tender  # noqa: F401
from market.contracts.models import (  # noqa: F401
    Contract,
    ContractEvaluation,
    ContractStatus,
    EvaluationConclusion,
    Milestone,
    MilestoneStatus,
)
from market.core.audit import AuditEvent  # noqa: F401
from market.funding.models import CampaignAllocation, MatchingCampaign, Pledge  # noqa: F401
from market.funds.models import (  # noqa: F401
                                  CommitmentStatus,
                                  FundingCommitment,
                                  FundingPool,  # noqa: F401
)
from market.geo.models import Category, Community, District, ProjectType, Street  # noqa: F401
from market.micro.models import (  # noqa: F401
                                  Acceptance,
                                  Ballot,
                                  BallotChoice,
                                  Comment,
                                  ExpertScore,
                                  Flag,
                                  Follow,
                                  MicroRound,
                                  Objection,
                                  PanelMember,
                                  Photo,
                                  ProgressUpdate,
                                  Proposal,
                                  Rating,
                                  RoundResult,
                                  Support,
)
from market.notifications.models import Notification, NotificationPreference, OutboxMessage  # noqa: F401
from market.orgs.models import Organization, OrgKind, VerificationState  # noqa: F401
from market.panels.models import (  # noqa: F401
                                  BidReason,
                                  CandidateNotice,
                                  Complaint,
                                  Evaluation,
                                  Expert,
                                  ExpertEmployment,
                                  ExpertRelationship,
                                  PanelDraw,
                                  PanelScore,
)
from market.payments.models import PaymentOrder, Payout, WebhookEvent  # noqa: F401
from market.projects.models import Project, ProjectKind, ProjectStatus  # noqa: F401
from market.review.models import (  # noqa: F401
    Award,
    AwardObjection,
    AwardStatus,
    MatchDecision,
    MatchProposal,
    MatchRun,
    RunStatus,
    VocabularyTerm,
)
