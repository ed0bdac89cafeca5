from __future__ import annotations

import pytest

from tests.market.payments.conftest import (  # noqa: F401
    _request_context,
    checkout_order,
    donated,
    online,
    public_project,
    stripe_stub,
    webhook_only,
)


@pytest.fixture
def funder(make_org, make_user, make_pool):
    """A foundation member and a pool of the foundation."""
    from market.accounts.models import Role
    from market.orgs.models import OrgKind

    def make(**pool_fields):
        org = make_org(OrgKind.FOUNDATION, categories=())
        user = make_user(Role.FUNDER, organization=org)
        pool = make_pool(funder=org, **pool_fields)
        return user, pool

    return make
