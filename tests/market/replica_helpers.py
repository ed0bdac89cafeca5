"""An app whose read replica is a stale copy of its primary (a SQLite file copied once), so that a page
shows which database it read."""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from market.core.db import REPLICA, db


@contextmanager
def stale_replica_site(tmp_path: Path, before_copy: Callable[[], None]) -> Iterator:
    """Build the primary with the categories and what ``before_copy`` adds, copy it as the replica, and
    yield the app serving both; nothing written afterwards reaches the replica."""
    from market import create_app
    from market.config import TestConfig
    from market.demo.loader import ensure_categories

    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    config = TestConfig(f"sqlite:///{primary}", instance_path=str(tmp_path))
    app = create_app(config)
    with app.app_context():
        db.create_all()
        ensure_categories(db.session)
        before_copy()
        db.session.commit()
        db.engine.dispose()
    shutil.copy(primary, replica)
    config.DATABASE_REPLICA_URL = f"sqlite:///{replica}"
    app = create_app(config)
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
            app.extensions[REPLICA].dispose()
