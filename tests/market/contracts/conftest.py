from tests.market.bids.helpers import _request_context, market  # noqa: F401
from tests.market.contracts.helpers import approved, evaluated, live_contract, opened, signed  # noqa: F401
