"""Prepare a loaded demo database for the load test: voters for the open voting round.

Usage: flask --app wsgi shell < loadtest/prepare.py is awkward, so run it as
``python loadtest/prepare.py VOTERS`` with DATABASE_URL set. Prints the voting round id.
"""
from __future__ import annotations

import sys

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market import create_app
from market.accounts.models import Role, User
from market.core.db import db, utcnow
from market.geo.models import Community
from market.micro.models import MicroRound, RoundPhase

VOTER_PASSWORD = "load-test-voter-2026"


def main(voters: int) -> None:
    app = create_app()
    with app.app_context():
        round_ = db.session.scalar(select(MicroRound).where(MicroRound.phase == RoundPhase.VOTING)
                                   .order_by(MicroRound.id))
        if round_ is None:
            raise SystemExit("no round is voting: load the demo data first")
        # A street-wide round is voted on by the residents of every community of its street.
        community_id = round_.community_id or db.session.scalar(
            select(Community.id).where(Community.street_id == round_.street_id).order_by(Community.id))
        password_hash = generate_password_hash(VOTER_PASSWORD)
        existing = set(db.session.scalars(select(User.email).where(User.email.like("load.voter.%"))))
        for n in range(voters):
            email = f"load.voter.{n:04d}@example.org"
            if email not in existing:
                db.session.add(User(email=email, display_name=f"Voter {n}", role=Role.RESIDENT,
                                    password_hash=password_hash, community_id=community_id, verified_at=utcnow()))
        db.session.commit()
        print(round_.id)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
