"""Every route × every role on the demo data: nothing answers 500, and officials' routes refuse
everyone else (anonymous visitors are sent to log in; others get 403 or 404, or 400 for an empty
form that some routes check before the service's permission check)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

OFFICIALS_ONLY = {
    "audit.index", "accounts.residents_queue", "accounts.verify_resident", "orgs.verification_queue", "orgs.verify",
    "payments.queue", "payments.confirm_order", "payments.reject_order", "payments.confirm_payout",
    "payments.retry_payout", "bids.awaiting_opening", "bids.open_bids", "bids.opened", "bids.tender",
    "review.console", "review.start", "review.run", "review.run_project", "review.decide", "review.rerun",
    "review.run_status", "review.approve", "review.reject", "review.revoke", "review.sign",
    "review.approve_milestone", "review.return_milestone", "review.answer", "micro.create_round",
    "micro.change_phase", "micro.open_voting", "micro.close_voting", "micro.finalise", "micro.invite_reviewer",
    "micro.review_proposal", "micro.merge", "micro.answer_objection", "micro.answer_flag", "micro.accept",
    "micro.replay",
}
ADMIN_ONLY = {"accounts.users", "accounts.set_disabled"}
# Logging out or switching language would end the walk; starting a matching run leaves a background
# job behind (their permissions are tested in tests/market/review).
SKIP = {"static", "accounts.logout", "web.set_language", "review.start", "review.rerun"}
ROLES = ("anonymous", "resident", "provider", "funder", "official", "admin")
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def demo(app):
    from market.db import db
    from market.demo.loader import load_demo

    load_demo(db.session)
    db.session.commit()


def _urls(app):
    from market.bids.models import Bid
    from market.db import db

    seal = db.session.scalar(select(Bid.seal).limit(1))
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIP:
            continue
        values = {name: (seal if name == "seal" else "x" if name in ("stored_name", "code") else 1)
                  for name in rule.arguments}
        url = rule.rule
        for name, value in values.items():
            url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_for_every_role(app, demo, make_browser):
    problems = []
    for role in ROLES:
        browser = make_browser()
        if role != "anonymous":
            from market.accounts.models import User
            from market.db import db

            user = db.session.scalar(select(User).where(User.email == f"{role}@demo.futian.example"))
            browser.login(user, password="demo-password-2026")
        token = TOKEN.search(browser.get("/login").get_data(as_text=True)).group(1)
        for endpoint, method, url in _urls(app):
            if method == "GET":
                response = browser.client.get(url)
            else:
                response = browser.client.post(url, data={"csrf_token": token})
            status = response.status_code
            if status >= 500:
                problems.append(f"{role} {method} {url}: {status}")
                continue
            if endpoint in ADMIN_ONLY:
                refused = set(ROLES) - {"admin"}
            elif endpoint in OFFICIALS_ONLY:
                refused = {"anonymous", "resident", "provider", "funder"}
            else:
                refused = set()
            if role in refused:
                allowed = {401, 403, 404} | ({302} if role == "anonymous" else set())
                if method == "POST":
                    allowed.add(400)  # an empty form refused before the permission check: nothing written
                if status not in allowed:
                    problems.append(f"{role} {method} {url}: {status} (should be refused)")
                elif status == 302 and "/login" not in response.headers.get("Location", ""):
                    problems.append(f"{role} {method} {url}: redirected elsewhere than log-in")
    assert problems == []
