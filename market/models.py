"""Imports every model so metadata (and Alembic autogenerate) sees all tables."""
from market.accounts.models import Role, User  # noqa: F401
from market.audit.models import AuditEvent  # noqa: F401
from market.funds.models import FundingPool  # noqa: F401
from market.geo.models import Category, Community, District, ProjectType, Street  # noqa: F401
from market.orgs.models import Organization, OrgKind, VerificationState  # noqa: F401
from market.projects.models import Project, ProjectKind, ProjectStatus  # noqa: F401
from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus  # noqa: F401
