"""Faults: the web server killed (SIGKILL) in the middle of voting or of approvals loses nothing it acknowledged."""
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


def _demo_app(tmp_path):
    """An app on a fresh SQLite file with the demo data, and the environment gunicorn serves it with."""
    from market import create_app
    from market.config import TestConfig
    from market.core.db import db
    from market.demo.loader import load_demo

    url = f"sqlite:///{tmp_path / 'faults.db'}"
    config = TestConfig(url, instance_path=str(tmp_path))
    # The servers and this process sign the audit chain with one key and share one checkpoint log.
    config.AUDIT_CHECKPOINTS = str(tmp_path / "audit-checkpoints.jsonl")
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_demo(db.session)
        db.session.commit()
    env = {**os.environ, "DATABASE_URL": url, "MARKET_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "fault-test",
           "MARKET_LOGIN_RATE_LIMIT": "100000 per minute", "MARKET_AUDIT_KEYS": config.AUDIT_KEYS,
           "MARKET_AUDIT_CHECKPOINTS": config.AUDIT_CHECKPOINTS}
    return app, env


def _records_prove_themselves(env: dict) -> None:
    """After a kill: ``flask ledger check`` and ``flask audit verify`` pass on what the servers wrote."""
    flask = str(Path(sys.executable).parent / "flask")
    for command in (["ledger", "check"], ["audit", "verify"]):
        result = subprocess.run([flask, "--app", "wsgi", *command], env=env, capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parents[2], timeout=600)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])


@pytest.fixture
def voting_site(tmp_path):
    """A demo database with 40 verified voters in the open round, served by gunicorn."""
    from werkzeug.security import generate_password_hash

    from market.accounts.models import Role, User
    from market.core.db import db, utcnow
    from market.geo.models import Community
    from market.micro.models import MicroRound, RoundPhase

    app, env = _demo_app(tmp_path)
    with app.app_context():
        round_ = db.session.scalar(select(MicroRound).where(MicroRound.phase == RoundPhase.VOTING))
        password_hash = generate_password_hash(PASSWORD)
        community_id = round_.community_id or db.session.scalar(  # a street-wide round: any of its communities
            select(Community.id).where(Community.street_id == round_.street_id).order_by(Community.id))
        voters = [User(email=f"fault.voter.{n}@example.org", display_name=f"Voter {n}", role=Role.RESIDENT,
                       community_id=community_id, verified_at=utcnow(), password_hash=password_hash)
                  for n in range(40)]
        db.session.add_all(voters)
        db.session.commit()
        emails, round_id = [v.email for v in voters], round_.id
    yield {"app": app, "env": env, "port": _free_port(), "emails": emails, "round_id": round_id}


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
    from market.core.db import db
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
    deadline = time.monotonic() + 90  # 40 log-ins hash their passwords first: slow on a busy machine
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
        _records_prove_themselves(voting_site["env"])
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=30)


# ---------------------------------------------------------------- approvals

APPROVAL_THREADS = 4


@pytest.fixture
def approving_site(tmp_path):
    """A demo database with a fresh match run of the district official, ready to approve, served by gunicorn."""
    from market.accounts.models import User
    from market.core.db import db, utcnow
    from market.demo.data import DEMO_PASSWORD
    from market.funds.models import FundingPool
    from market.review import adapter, jobs, services
    from market.review.models import MatchProposal, MatchProposalStatus

    app, env = _demo_app(tmp_path)
    with app.app_context():
        official = db.session.scalar(select(User).where(User.email == "official@demo.futian.example"))
        run = services.start_run(official, sorted(services.matchable_ids(official)),
                                 adapter.RunOptions(time_limit=30), now=utcnow())
        db.session.commit()
        run_id, email = run.id, official.email
        jobs.execute(app, run_id)
        proposal_ids = list(db.session.scalars(select(MatchProposal.id).where(
            MatchProposal.run_id == run_id, MatchProposal.status == MatchProposalStatus.PROPOSED)
            .order_by(MatchProposal.id)))
        pools_before = dict(db.session.execute(select(FundingPool.id, FundingPool.remaining_cents)).all())
    yield {"app": app, "env": env, "port": _free_port(), "run_id": run_id, "proposal_ids": proposal_ids,
           "pools_before": pools_before, "email": email, "password": DEMO_PASSWORD}


def test_killed_server_loses_no_acknowledged_approval(approving_site):
    site = approving_site
    assert len(site["proposal_ids"]) >= 40, "the run proposed too little to approve under load"
    port = site["port"]
    server = _serve(site["env"], port)
    acknowledged: set[int] = set()
    refused: list[int] = []
    queue = list(site["proposal_ids"])
    lock = threading.Lock()

    def official() -> None:
        session = requests.Session()
        base = f"http://127.0.0.1:{port}"
        try:
            token = CSRF.search(session.get(base + "/login", timeout=5).text).group(1)
            session.post(base + "/login", data={"email": site["email"], "password": site["password"],
                                                "csrf_token": token}, timeout=5)
            while True:
                with lock:
                    if not queue:
                        return
                    proposal_id = queue.pop(0)
                page = session.get(f"{base}/review/runs/{site['run_id']}", timeout=10).text
                response = session.post(f"{base}/review/proposals/{proposal_id}/approve", allow_redirects=False,
                                        timeout=10, data={"csrf_token": CSRF.search(page).group(1),
                                                          "notice_days": "5", "reason": "fault test"})
                with lock:
                    if response.status_code == 302 and "/review/awards/" in response.headers["Location"]:
                        acknowledged.add(proposal_id)  # the server said: approved
                    else:
                        refused.append(response.status_code)
        except (requests.RequestException, AttributeError):
            return  # the server went away mid-request

    threads = [threading.Thread(target=official) for _ in range(APPROVAL_THREADS)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # master and workers, mid-approval
        server.wait()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert len(acknowledged) >= 8, f"too few approvals before the kill ({len(acknowledged)}, refused {refused[:10]})"
    assert queue, "every proposal was approved before the kill: the kill came too late to prove anything"

    restarted = _serve(site["env"], port)
    try:
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
        _check_approvals(site, acknowledged)
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=30)


def _check_approvals(site, acknowledged: set[int]) -> None:
    from market.contracts.models import Contract
    from market.core.audit import verify_chain
    from market.core.db import db
    from market.funds.models import FundingCommitment, FundingPool
    from market.projects.models import ProjectStatus
    from market.review.models import Award, MatchProposal, MatchProposalStatus

    with site["app"].app_context():
        db.engine.dispose()
        approved = {p.id: p for p in db.session.scalars(select(MatchProposal).where(
            MatchProposal.run_id == site["run_id"], MatchProposal.status == MatchProposalStatus.APPROVED))}
        # Everything acknowledged is there; whatever was in flight at the kill is all there or not at all.
        assert acknowledged <= set(approved)
        awards = list(db.session.scalars(select(Award).where(Award.run_id == site["run_id"])))
        assert sorted(a.proposal_id for a in awards) == sorted(approved)
        for award in awards:
            contracts = db.session.scalars(select(Contract).where(Contract.award_id == award.id)).all()
            assert contracts and all(c.milestones for c in contracts), award.id
            assert approved[award.proposal_id].project.status == ProjectStatus.AWARDED
        # Pools lost exactly what the new awards reserved: no money reserved twice or taken without a record.
        reserved = dict(db.session.execute(select(FundingCommitment.pool_id, db.func.sum(FundingCommitment.amount_cents))
                                           .where(FundingCommitment.award_id.in_([a.id for a in awards]))
                                           .group_by(FundingCommitment.pool_id)).all())
        for pool_id, remaining in db.session.execute(select(FundingPool.id, FundingPool.remaining_cents)):
            assert site["pools_before"][pool_id] - remaining == reserved.get(pool_id, 0), pool_id
            assert remaining >= 0
        assert verify_chain().ok
    _records_prove_themselves(site["env"])
