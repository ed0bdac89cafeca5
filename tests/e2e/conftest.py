"""End-to-end tests: the real app served on loopback, driven in Debian's Chromium by Playwright.

Run with ``make test-e2e``. Chromium comes from the system (/usr/bin/chromium); Playwright never
downloads a browser. A failing test leaves a full-page screenshot in test-artifacts/e2e/.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MARKET_E2E_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}; `make test-e2e` installs Debian's chromium")
        for item in items:
            if "chromium" in item.fixturenames:  # the fault tests need no browser
                item.add_marker(skip)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app with the demo data, served by a threaded WSGI server on a free loopback port."""
    from werkzeug.serving import make_server

    from market import create_app
    from market.config import TestConfig
    from market.core.db import db
    from market.demo.loader import load_demo

    instance = tmp_path_factory.mktemp("e2e")
    config = TestConfig(f"sqlite:///{instance / 'e2e.db'}", instance_path=str(instance))
    config.LOGIN_RATE_LIMIT = "1000 per minute"
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_demo(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live_app["app"] = app
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


# The served app, for tests that look up what to click (read-only).
live_app: dict = {}


def query(fn):
    """Run ``fn(session)`` against the served app's database and return its result."""
    from market.core.db import db

    with live_app["app"].app_context():
        return fn(db.session)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["zh", "en"])
def language(request):
    return request.param


@pytest.fixture
def page(chromium, live_server, language, request):
    """A fresh browser context (own cookies) in the test's language."""
    context = chromium.new_context(locale="zh-CN" if language == "zh" else "en-US",
                                   extra_http_headers={"Accept-Language": "zh-CN,zh" if language == "zh" else "en-US,en"},
                                   viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base = live_server
    yield page
    keep_screenshot_if_failed(page, request)
    context.close()


def keep_screenshot_if_failed(page, request) -> None:
    """A failed test leaves a full-page screenshot of where it stopped in test-artifacts/e2e/."""
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


TEXT = {
    "zh": {"projects": "项目", "login": "登录", "search": "搜索", "verify": "认证", "logout": "退出"},
    "en": {"projects": "Projects", "login": "Log in", "search": "Search", "verify": "Verify", "logout": "Log out"},
}


def log_in(page, email: str, language: str, password: str = "demo-password-2026") -> None:  # noqa: S107
    page.goto(page.base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard"))


def biddable_tenders(session, email: str) -> list[tuple[int, int]]:
    """``(project id, budget in cents)`` of the open whole-project tenders the provider ``email`` may bid on and
    has not bid on yet, oldest first: what a provider picks from."""
    from sqlalchemy import select

    from market.accounts.models import User
    from market.bids.models import Bid, Lot
    from market.bids.services import eligibility_problems
    from market.core.db import utcnow
    from market.projects.models import Project, ProjectKind, ProjectStatus

    provider = session.scalar(select(User).where(User.email == email))
    taken = set(session.scalars(select(Bid.project_id).where(Bid.organization_id == provider.organization_id)))
    taken |= set(session.scalars(select(Lot.project_id)))  # whole-project bids only, for a simple form
    now = utcnow()
    return [(project.id, project.budget_cents) for project in session.scalars(select(Project).where(
        Project.kind == ProjectKind.GOVERNMENT_SERVICE, Project.status == ProjectStatus.OPEN,
        Project.bid_deadline > now).order_by(Project.id))
        if project.id not in taken and not eligibility_problems(provider.organization, project, now)]
