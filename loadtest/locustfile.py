"""Load scenario: people browsing, searching, voting and bidding on the --scale 100 demo.

Run by ``make loadtest`` (loadtest/run.sh) against gunicorn + PostgreSQL on loopback.
"""
from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PROPOSAL_BOX = re.compile(r'name="proposal_ids"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="proposal_ids"')
BID_LINK = re.compile(r'href="/bids/([A-Za-z0-9_-]{8,})"')
QUERIES = ["养老", "助餐", "心理", "儿童", "社区教育", "elderly care", "eldery", "mental health", "youth", "残疾人",
           "环保", "法律援助", "volunteer", "垃圾分类", "适老化"]
PROJECT_COUNT = int(os.environ.get("LOADTEST_PROJECTS", "56000"))
ROUND_ID = os.environ.get("LOADTEST_ROUND", "1")
VOTERS = int(os.environ.get("LOADTEST_VOTERS", "200"))
_voter_numbers = iter(range(10**6))


def _token(html: str) -> str | None:
    found = CSRF.search(html)
    return found.group(1) if found else None


class Visitor(HttpUser):
    """Anonymous browsing and searching: most of the traffic."""

    weight = 6
    wait_time = between(0.2, 1.0)

    @task(5)
    def listing(self):
        self.client.get(f"/projects/?page={random.randint(1, 200)}", name="GET /projects/ (page)")

    @task(3)
    def filtered(self):
        self.client.get(f"/projects/?category_id={random.randint(1, 19)}&street_id={random.randint(1, 10)}",
                        name="GET /projects/ (filters)")

    @task(4)
    def search(self):
        self.client.get(f"/projects/?q={random.choice(QUERIES)}", name="GET /projects/?q= (search)")

    @task(2)
    def api_search(self):
        self.client.get(f"/api/v1/projects?q={random.choice(QUERIES)}&per_page=20", name="GET /api/v1/projects?q=")

    @task(3)
    def detail(self):
        with self.client.get(f"/projects/{random.randint(1, PROJECT_COUNT)}", name="GET /projects/<id>",
                             catch_response=True) as response:
            if response.status_code == 404:  # drafts are hidden: not an error
                response.success()

    @task(1)
    def organisations(self):
        self.client.get(f"/organizations/?page={random.randint(1, 40)}", name="GET /organizations/")

    @task(1)
    def health(self):
        self.client.get("/healthz", name="GET /healthz")


class Voter(HttpUser):
    """A verified resident of the voting community who casts and changes a ballot."""

    weight = 3
    wait_time = between(0.5, 2.0)

    def on_start(self):
        number = next(_voter_numbers) % VOTERS
        page = self.client.get("/login", name="GET /login").text
        self.client.post("/login", data={"email": f"load.voter.{number:04d}@example.org",
                                         "password": "load-test-voter-2026", "csrf_token": _token(page)},
                         name="POST /login")

    @task
    def vote(self):
        page = self.client.get(f"/micro/rounds/{ROUND_ID}/ballot", name="GET ballot").text
        choices = [a or b for a, b in PROPOSAL_BOX.findall(page)]
        token = _token(page)
        if not choices or not token:
            return
        picks = random.sample(choices, k=min(len(choices), random.randint(1, 3)))
        self.client.post(f"/micro/rounds/{ROUND_ID}/ballot", data={"csrf_token": token, "proposal_ids": picks},
                         name="POST ballot")


class Bidder(HttpUser):
    """The demo provider revising its sealed bids."""

    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self):
        page = self.client.get("/login", name="GET /login").text
        self.client.post("/login", data={"email": "provider@demo.futian.example", "password": "demo-password-2026",
                                         "csrf_token": _token(page)}, name="POST /login")
        mine = self.client.get("/bids/mine", name="GET /bids/mine").text
        self.seals = sorted(set(BID_LINK.findall(mine)) - {"mine"})

    @task
    def revise(self):
        if not self.seals:
            return
        seal = random.choice(self.seals)
        page = self.client.get(f"/bids/{seal}/edit", name="GET bid edit")
        if page.status_code != 200:
            return
        price = re.search(r'name="price"[^>]*value="([\d.]+)"', page.text)
        with self.client.post(f"/bids/{seal}/edit", name="POST bid revise", catch_response=True, data={
                "csrf_token": _token(page.text), "price": price.group(1) if price else "100000",
                "proposal": f"修订方案 {random.randint(1, 10**6)}：上门服务与个案管理相结合。",
                "team": "社工3名", "timeline": "12个月"}) as response:
            if response.status_code == 409:  # its deadline has passed: correctly refused, stop revising it
                self.seals.remove(seal)
                response.success()
