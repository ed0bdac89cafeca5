"""Building a process's search indexes before it takes requests."""
from __future__ import annotations

import logging
import time

from flask import Flask

from market.core.db import db

log = logging.getLogger(__name__)


def warm_search_indexes(app: Flask) -> None:
    """Build the project, organisation and pool search indexes of this process now.

    A fresh web process otherwise builds each index on its first search, which then takes
    seconds at city scale. Failure (the database away) only leaves the indexes for later.
    """
    from market.funds.services import list_pools, parse_pool_listing
    from market.orgs.services import list_orgs, parse_org_listing
    from market.projects.services import list_projects, parse_project_listing

    started = time.perf_counter()
    with app.app_context():
        try:
            for listing, parse in ((list_projects, parse_project_listing), (list_orgs, parse_org_listing),
                                   (list_pools, parse_pool_listing)):
                listing(parse({"q": "warm"}))
        except Exception:  # the process serves anyway, and its first searches build the indexes
            log.warning("search indexes not built at start", exc_info=True)
            return
        finally:
            db.session.remove()
    log.info("search indexes built in %.1f s", time.perf_counter() - started)
