"""A visitor browses, filters and searches the demo marketplace; an official verifies a resident."""
from __future__ import annotations

import re
import uuid

from tests.e2e.conftest import TEXT, log_in


def test_visitor_browses_filters_and_searches(page, language):
    page.goto(page.base + "/")
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if language == "zh" else "en")
    page.click(f"nav.mainnav >> text={TEXT[language]['projects']}")
    page.wait_for_url(re.compile(r".*/projects/"))
    first_total = page.locator("main p.muted").first.inner_text()
    page.select_option("select[name=type]", "works")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*type=works.*"))
    assert page.locator("main p.muted").first.inner_text() != first_total
    page.click(f"nav.mainnav >> text={TEXT[language]['projects']}")
    page.fill("form.filters input[name=q]", "eldery care" if language == "en" else "养老")
    page.click("form.filters button[type=submit]")
    cards = page.locator(".row-card")
    assert cards.count() > 0
    cards.first.locator("h3 a").click()
    page.wait_for_url(re.compile(r".*/projects/\d+"))
    assert page.locator("h1").inner_text().strip()


def test_resident_registers_and_official_verifies(chromium, live_server, language):
    email = f"new-{uuid.uuid4().hex[:8]}@example.org"
    resident = chromium.new_context(locale="zh-CN" if language == "zh" else "en-US").new_page()
    resident.base = live_server
    resident.goto(live_server + f"/register?lang={language}")
    resident.fill("input[name=display_name]", "张小梅")
    resident.fill("input[name=email]", email)
    resident.select_option("select[name=role]", "resident")
    resident.select_option("select[name=community_id]", index=3)
    resident.fill("input[name=password]", "lianhua-2026!")
    resident.fill("input[name=confirm]", "lianhua-2026!")
    resident.click("form button[type=submit]")
    resident.wait_for_url(re.compile(r".*/dashboard"))
    assert resident.locator(".badge.warn").count() == 1  # awaiting verification

    official = chromium.new_context(locale="zh-CN" if language == "zh" else "en-US").new_page()
    official.base = live_server
    official.goto(live_server + f"/?lang={language}")
    log_in(official, "official@demo.futian.example", language)
    official.goto(live_server + "/officials/residents")
    row = official.locator("tr", has_text=email)
    row.locator("button[type=submit]").click()
    official.wait_for_url(re.compile(r".*/officials/residents"))
    assert official.locator("tr", has_text=email).count() == 0

    resident.goto(live_server + "/dashboard")
    assert resident.locator(".badge.ok").count() >= 1
