"""The micro-project factories and the usual marketplace, for probes written from the outside (two districts: the
suite's `city` fixture)."""

from tests.market.bids.helpers import market  # noqa: F401
from tests.market.micro.conftest import (  # noqa: F401
    _request_context,
    cast,
    engaged_project,
    make_proposal,
    make_round,
    photo_file,
    street_official,
)
