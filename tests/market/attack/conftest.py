"""The micro-project factories, for probes written from the outside."""
from tests.market.micro.conftest import (  # noqa: F401
    _request_context,
    cast,
    engaged_project,
    make_proposal,
    make_round,
    photo_file,
    street_official,
)
