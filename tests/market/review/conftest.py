from tests.market.bids.helpers import _request_context, market  # noqa: F401
from tests.market.contracts.helpers import opened  # noqa: F401  (the opened tender, shared with the contract pages)
