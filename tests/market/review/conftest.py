from tests.market.bids.helpers import _request_context, market  # noqa: F401
