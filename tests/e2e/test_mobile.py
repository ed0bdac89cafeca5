"""Phones: at 375 × 812 no key page scrolls sideways, the menu button opens the navigation, and the
site can be added to the home screen (manifest, icons)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.e2e.a11y import sideways
from tests.e2e.conftest import log_in, query

PHONE = {"width": 375, "height": 812}

PUBLIC_PATHS = ["/", "/login", "/register", "/projects/", "/organizations/", "/funds/", "/micro/", "/funding/campaigns",
                "/review/awards", "/open-data", "/search?q=养老", "/stats/public"]
ROLE_PATHS = {
    "resident@demo.futian.example": ["/dashboard", "/notifications/", "/micro/"],
    "provider@demo.futian.example": ["/dashboard", "/bids/mine"],
    "funder@demo.futian.example": ["/dashboard", "/funding/campaigns"],
    "official@demo.futian.example": ["/dashboard", "/review/", "/audit/", "/organizations/verification", "/payments/queue",
                                     "/micro/queue", "/stats/", "/panels/experts", "/bids/settings",
                                     "/notifications/undelivered"],
    "street.official@demo.futian.example": ["/dashboard", "/micro/queue", "/review/runs/1"],
}


def _detail_paths() -> list[str]:
    from market.funds.models import FundingPool
    from market.micro.models import MicroRound
    from market.orgs.models import Organization
    from market.projects.models import Project

    def first(model):
        return query(lambda s: s.scalar(select(model.id).order_by(model.id)))

    rounds = query(lambda s: s.scalars(select(MicroRound.id).order_by(MicroRound.id).limit(3)).all())
    return ([f"/projects/{first(Project)}", f"/organizations/{first(Organization)}", f"/funds/{first(FundingPool)}"]
            + [f"/micro/rounds/{r}" for r in rounds] + [f"/micro/rounds/{r}/results" for r in rounds[:1]])


@pytest.fixture
def phone(chromium, live_server, language):
    context = chromium.new_context(locale="zh-CN" if language == "zh" else "en-US", viewport=PHONE,
                                   extra_http_headers={"Accept-Language": "zh-CN,zh" if language == "zh" else "en-US,en"},
                                   is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base = live_server
    yield page
    context.close()


def test_no_key_page_scrolls_sideways_at_375(phone, language):
    paths = PUBLIC_PATHS + _detail_paths()
    wide = {}
    for path in paths:
        response = phone.goto(phone.base + path)
        assert response.status < 500, path
        if offenders := sideways(phone):
            wide[path] = offenders
    for email, role_paths in ROLE_PATHS.items():
        phone.context.clear_cookies()
        log_in(phone, email, language)
        for path in role_paths:
            phone.goto(phone.base + path)
            if offenders := sideways(phone):
                wide[f"{email} {path}"] = offenders
    assert wide == {}


def test_menu_button_opens_the_navigation_and_the_search_stays_usable(phone, language):
    phone.goto(phone.base + "/")
    nav = phone.locator("nav.mainnav")
    button = phone.locator("button.menu-toggle")
    assert button.is_visible() and not nav.is_visible()
    assert button.bounding_box()["height"] >= 44
    search = phone.locator("form.searchbox input[name=q]")
    box = search.bounding_box()
    assert search.is_visible() and box["width"] >= 300 and box["height"] >= 44
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and nav.is_visible()
    for link in nav.locator("a").all():
        assert link.bounding_box()["height"] >= 44
    phone.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false" and not nav.is_visible()
    search.fill("养老" if language == "zh" else "elderly care")
    search.press("Enter")
    phone.wait_for_url(re.compile(r".*/search\?q=.*"))
    assert phone.locator("main section.panel a").count() > 0


def test_the_site_can_be_added_to_the_home_screen(phone, language):
    phone.goto(phone.base + "/")
    manifest_url = phone.locator("link[rel=manifest]").get_attribute("href")
    manifest = phone.request.get(phone.base + manifest_url)
    assert manifest.ok and manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone" and {"192x192", "512x512"} <= {i["sizes"] for i in body["icons"]}
    for icon in body["icons"]:
        assert phone.request.get(phone.base + icon["src"]).ok
    assert phone.request.get(phone.base + "/favicon.ico").ok
