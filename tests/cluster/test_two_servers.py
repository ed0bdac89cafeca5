"""Two app servers, one PostgreSQL and one Redis: the web tier keeps nothing of its own.

Run with ``make test-cluster``: two gunicorn servers on two ports serve the demo from one
PostgreSQL database (``CLUSTER_DATABASE_URL``, default the local server's ``cluster_test``,
recreated) and one Redis (``CLUSTER_REDIS_URL``, default database 15 of the local server, flushed).
A log-in made on one works on the other; rate limits and lock-outs are shared; a matching run
started on both at once runs once; a change made on one is searchable on the other at once;
killing one loses nothing it acknowledged.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATABASE = os.environ.get("CLUSTER_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/cluster_test")
REDIS = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/15")
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "demo-password-2026"  # noqa: S105 - the published demo password
LOGIN_LIMIT = 6  # per minute and address, across both servers


def _recreate_database() -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(DATABASE)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "--log-level", "error",
             "wsgi:app"], env=env, cwd=ROOT, start_new_session=True)
        for _ in range(300):
            try:
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError("gunicorn did not start")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from redis import Redis

    Redis.from_url(REDIS).flushdb()
    _recreate_database()
    instance = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "DATABASE_URL": DATABASE, "REDIS_URL": REDIS, "MARKET_INSTANCE_PATH": str(instance),
           "SECRET_KEY": "cluster-test-secret", "MARKET_LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
           "FLASK_APP": "wsgi"}
    for command in (["db", "upgrade"], ["demo", "load", "--if-empty"]):
        subprocess.run([str(BIN / "flask"), *command], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    servers = [Server(env), Server(env)]
    yield servers
    for server in servers:
        server.kill()


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Each test starts with no attempts counted (the limits live in Redis, shared by the servers)."""
    from redis import Redis

    Redis.from_url(REDIS).flushdb()


def _log_in(server: Server, email: str, password: str = PASSWORD,
            session: requests.Session | None = None) -> requests.Response:
    session = session or requests.Session()
    token = CSRF.search(session.get(server.base + "/login", timeout=10).text).group(1)
    return session.post(server.base + "/login", data={"email": email, "password": password, "csrf_token": token},
                        allow_redirects=False, timeout=10)


def test_a_log_in_made_on_one_server_works_on_the_other(cluster):
    one, other = cluster
    session = requests.Session()
    assert _log_in(one, "resident@demo.futian.example", session=session).status_code == 302
    page = session.get(other.base + "/dashboard", allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "/logout" in page.text
    token = CSRF.search(page.text).group(1)
    session.post(other.base + "/logout", data={"csrf_token": token}, timeout=10)
    assert session.get(one.base + "/dashboard", allow_redirects=False, timeout=10).status_code == 302  # ended everywhere


def test_the_log_in_limit_counts_attempts_on_both_servers(cluster):
    one, other = cluster
    answers = [_log_in(server, "nobody@example.org", "wrong-password").status_code
               for server in (one, other) * LOGIN_LIMIT]
    assert 429 in answers[:LOGIN_LIMIT + 1], answers  # one server alone would allow LOGIN_LIMIT per minute


def test_a_lock_out_made_on_one_server_holds_on_the_other(cluster):
    one, other = cluster
    email = "resident2@demo.futian.example"
    for attempt in range(5):
        _log_in(one if attempt % 2 else other, email, "not-the-password")
    locked = _log_in(other, email)  # the right password, during the pause after repeated failures
    assert locked.status_code != 302 or "/dashboard" not in locked.headers.get("Location", "")


def test_a_matching_run_started_on_both_servers_at_once_runs_once(cluster):
    from sqlalchemy import create_engine, text

    sessions = []
    for server in cluster:
        session = requests.Session()
        assert _log_in(server, "official@demo.futian.example", session=session).status_code == 302
        sessions.append((server, session, CSRF.search(session.get(server.base + "/review/", timeout=30).text)
                         .group(1)))
    engine = create_engine(DATABASE)
    with engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM match_runs")).scalar_one()
    barrier = threading.Barrier(2)
    answers: list[str] = []

    def start(server, session, token):
        barrier.wait(timeout=30)
        answer = session.post(server.base + "/review/runs", data={"csrf_token": token, "scope": "all",
                                                                  "solver": "cbc", "time_limit": "60"},
                              allow_redirects=False, timeout=60)
        answers.append(answer.headers.get("Location", str(answer.status_code)))

    threads = [threading.Thread(target=start, args=item) for item in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    with engine.connect() as connection:
        after = connection.execute(text("SELECT count(*) FROM match_runs")).scalar_one()
    engine.dispose()
    assert after == before + 1, answers
    assert len(set(answers)) == 1 and "/review/runs/" in answers[0]  # both were shown the same run


def test_a_change_on_one_server_is_searchable_on_the_other_at_once(cluster):
    one, other = cluster
    session = requests.Session()
    assert _log_in(one, "provider@demo.futian.example", session=session).status_code == 302
    form = session.get(one.base + "/projects/new", timeout=10).text
    title = "蝴蝶兰园艺疗愈小组"
    answer = session.post(one.base + "/projects/new", timeout=30, allow_redirects=False, data={
        "csrf_token": CSRF.search(form).group(1), "kind": "public_benefit", "street_id": "", "community_id": "",
        "min_rating_grade": "0", "min_years_registered": "0", "min_staff": "0", "min_office_area_m2": "0",
        "title": title, "title_en": "Orchid horticultural therapy groups",
        "description": "为社区长者开展园艺疗愈小组活动，每周一次，共十二次。", "description_en": "",
        "category_id": "1", "project_type": "service", "budget": "60000", "start_date": "2027-03-01",
        "end_date": "2027-06-30"})
    assert answer.status_code == 302, answer.text[:2000]
    project_page = answer.headers["Location"]  # a draft: published next, so that everyone may find it
    token = CSRF.search(session.get(one.base + project_page, timeout=10).text).group(1)
    published = session.post(one.base + project_page + "/status", data={"csrf_token": token, "status": "open"},
                             allow_redirects=False, timeout=10)
    assert published.status_code == 302
    found = requests.get(other.base + "/search", params={"q": "蝴蝶兰园艺"}, timeout=10).text
    assert title in found


def test_killing_one_server_loses_nothing_it_acknowledged(cluster):
    one, other = cluster
    session = requests.Session()
    assert _log_in(one, "resident@demo.futian.example", session=session).status_code == 302
    ballot_url = re.search(r'href="(/micro/rounds/\d+/ballot)"', session.get(one.base + "/dashboard", timeout=10)
                           .text).group(1)
    page = session.get(one.base + ballot_url, timeout=10).text
    choices = re.findall(r'name="proposal_ids"[^>]*value="(\d+)"', page)
    answer = session.post(one.base + ballot_url, allow_redirects=False, timeout=10,
                          data={"csrf_token": CSRF.search(page).group(1), "proposal_ids": choices[:2]})
    assert answer.status_code == 302  # acknowledged
    one.kill()
    again = session.get(other.base + ballot_url, timeout=10).text  # the same session, the other server
    checked = re.findall(r'name="proposal_ids"[^>]*value="(\d+)"[^>]*checked|checked[^>]*name="proposal_ids"'
                         r'[^>]*value="(\d+)"', again)
    assert sorted(a or b for a, b in checked) == sorted(choices[:2])
