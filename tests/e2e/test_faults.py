"""Faults: the web server killed (SIGKILL) in the middle of voting loses no acknowledged ballot."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BOX = re.compile(r'name="proposal_ids"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="proposal_ids"')
PASSWORD = "fault-test-voter-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(env: dict, port: int) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen([gunicorn, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "error",
                                "wsgi:app"], env=env, cwd=Path(__file__).resolve().parents[2],
                               start_new_session=True)
    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return process
        except requests.RequestException:  # not listening yet, or workers still importing
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


@pytest.fixture
def voting_site(tmp_path):
    """A demo database with 40 verified voters in the open round, served by gunicorn."""
    from werkzeug.security import generate_password_hash

    from market import create_app
    from market.accounts.models import Role, User
    from market.config import TestConfig
    from market.db import db, utcnow
    from market.demo.loader import load_demo
    from market.micro.models import MicroRound, RoundPhase

    url = f"sqlite:///{tmp_path / 'faults.db'}"
    app = create_app(TestConfig(url, instance_path=str(tmp_path)))
    with app.app_context():
        db.create_all()
        load_demo(db.session)
        round_ = db.session.scalar(select(MicroRound).where(MicroRound.phase == RoundPhase.VOTING))
        password_hash = generate_password_hash(PASSWORD)
        voters = [User(email=f"fault.voter.{n}@example.org", display_name=f"Voter {n}", role=Role.RESIDENT,
                       community_id=round_.community_id, verified_at=utcnow(), password_hash=password_hash)
                  for n in range(40)]
        db.session.add_all(voters)
        db.session.commit()
        emails, round_id = [v.email for v in voters], round_.id
    env = {**os.environ, "DATABASE_URL": url, "MARKET_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "fault-test",
           "MARKET_LOGIN_RATE_LIMIT": "100000 per minute"}
    port = _free_port()
    yield {"app": app, "env": env, "port": port, "emails": emails, "round_id": round_id}


def test_killed_server_loses_no_acknowledged_ballot(voting_site):

    port, round_id = voting_site["port"], voting_site["round_id"]
    server = _serve(voting_site["env"], port)
    try:
        _vote_kill_and_check(voting_site, server, port, round_id)
    finally:
        for process in (server,):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _vote_kill_and_check(voting_site, server, port, round_id):
    from market.accounts.models import User
    from market.db import db
    from market.micro.models import Ballot

    acknowledged: dict[str, set[int]] = {}
    in_flight: dict[str, set[int]] = {}  # sent, not yet answered: may or may not have been saved
    statuses: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def voter(email: str) -> None:
        session = requests.Session()
        base = f"http://127.0.0.1:{port}"
        try:
            token = CSRF.search(session.get(base + "/login", timeout=5).text).group(1)
            session.post(base + "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, timeout=5)
            for attempt in range(50):
                if stop.is_set():
                    return
                page = session.get(f"{base}/micro/rounds/{round_id}/ballot", timeout=5).text
                choices = sorted({int(a or b) for a, b in BOX.findall(page)})
                picks = {choices[(attempt + len(email)) % len(choices)]}
                with lock:
                    in_flight[email] = picks
                response = session.post(f"{base}/micro/rounds/{round_id}/ballot", allow_redirects=False, timeout=5,
                                        data={"csrf_token": CSRF.search(page).group(1), "proposal_ids": list(picks)})
                statuses.append(response.status_code)
                if response.status_code == 302:  # the server said: saved
                    with lock:
                        acknowledged[email] = picks
                        in_flight.pop(email, None)
        except (requests.RequestException, AttributeError):
            return  # the server went away mid-request: whatever was not acknowledged may be lost

    threads = [threading.Thread(target=voter, args=(email,)) for email in voting_site["emails"]]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 10 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # kill while ballots are being sent
    os.killpg(server.pid, signal.SIGKILL)  # master and workers, no chance to clean up
    server.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert acknowledged, f"no ballot was acknowledged before the kill ({statuses[:10]}); the test proved nothing"

    restarted = _serve(voting_site["env"], port)  # the site comes back on the same database
    try:
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
        with voting_site["app"].app_context():
            db.engine.dispose()
            for email, picks in acknowledged.items():
                user = db.session.scalar(select(User).where(User.email == email))
                ballot = db.session.scalar(select(Ballot).where(Ballot.voter_id == user.id, Ballot.round_id == round_id))
                assert ballot is not None, email
                # The last acknowledged ballot, or the one sent after it that was in flight at the kill.
                assert set(ballot.proposal_ids) in (picks, in_flight.get(email)), email
            stored = db.session.scalar(select(db.func.count(Ballot.id)).where(Ballot.voter_id.in_(
                select(User.id).where(User.email.like("fault.voter.%")))))
            assert stored >= len(acknowledged)
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=30)
