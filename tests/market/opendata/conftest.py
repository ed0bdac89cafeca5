from tests.market.bids.helpers import _request_context, market  # noqa: F401
from tests.market.opendata.stories import sealed, story  # noqa: F401
