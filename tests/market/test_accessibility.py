"""Accessibility in the markup: the skip link, languages marked on the language switch and on Chinese
data shown on English pages, care mode (关怀模式) switched by a plain link and kept in a cookie, the
polite note on a matching run that updates itself."""
from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from market.accounts.models import Role
from market.core.db import db
from market.review.models import MatchRun, RunStatus

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _nav(page: str) -> str:
    return page[page.index('<nav class="mainnav"'):page.index("</nav>", page.index('<nav class="mainnav"'))]


def test_the_first_link_skips_to_the_main_content(client):
    page = client.get("/", headers=EN).get_data(as_text=True)
    body = page[page.index("<body>"):]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'class="skip-link"' in first_link and 'href="#content"' in first_link
    assert "Skip to content" in body[:body.index("</a>")]
    assert re.search(r'<main [^>]*id="content"[^>]*tabindex="-1"', page)


@pytest.mark.parametrize("headers, link, label", [
    (ZH, r'<a href="/lang/en\?next=[^"]*" lang="en" hreflang="en">English</a>', '<strong lang="zh">中文</strong>'),
    (EN, r'<a href="/lang/zh\?next=[^"]*" lang="zh" hreflang="zh">中文</a>', '<strong lang="en">English</strong>'),
])
def test_each_language_link_is_marked_in_its_own_language(client, headers, link, label):
    page = client.get("/", headers=headers).get_data(as_text=True)
    assert re.search(link, page) and label in page


def test_chinese_text_on_an_english_page_is_marked_chinese(client, make_project):
    untranslated = make_project(title="岗厦社区长者饭堂", title_en="")
    translated = make_project(title="福田社区义诊", title_en="Free clinic in Futian community")
    listing = client.get("/projects/", headers=EN).get_data(as_text=True)
    assert '<span lang="zh">岗厦社区长者饭堂</span>' in listing
    assert "Free clinic in Futian community" in listing and '<span lang="zh">福田社区义诊' not in listing
    detail = client.get(f"/projects/{untranslated.id}", headers=EN).get_data(as_text=True)
    assert '<h1><span lang="zh">岗厦社区长者饭堂</span></h1>' in detail
    assert "<title>岗厦社区长者饭堂 ·" in detail  # the title element holds text only
    chinese = client.get(f"/projects/{translated.id}", headers=ZH).get_data(as_text=True)
    assert "<h1>福田社区义诊</h1>" in chinese  # a Chinese page needs no mark


def test_localized_filter_marks_only_the_fallback_and_escapes(app, make_project):
    from flask_babel import refresh

    from market.ui.formatting import as_written, localized

    project = make_project(title="<岗厦>社区", title_en="", description="一二三四五六七八九十" * 5, description_en="")
    with app.test_request_context(headers=EN):
        refresh()
        assert project.tr_language("title", "en") == "zh"
        assert localized(app.jinja_env, project, "title") == Markup('<span lang="zh">&lt;岗厦&gt;社区</span>')
        assert localized(app.jinja_env, project, "description", 20) == Markup('<span lang="zh">一二三四五六七八九十一二三四五六七...</span>')
        assert as_written("福山社区书屋") == Markup('<span lang="zh">福山社区书屋</span>')
        assert as_written("Block 3") == Markup("Block 3")
    project.title_en = "Gangxia community"
    with app.test_request_context(headers=EN):
        refresh()  # the language is cached on the test's application context
        assert project.tr_language("title", "en") == "en"
        assert localized(app.jinja_env, project, "title") == Markup("Gangxia community")
    with app.test_request_context(headers=ZH):
        refresh()
        assert localized(app.jinja_env, project, "title") == Markup("&lt;岗厦&gt;社区")
        assert as_written("福山社区书屋") == Markup("福山社区书屋")


def test_care_mode_is_switched_by_a_link_kept_in_a_cookie_and_switched_back(client):
    page = client.get("/projects/", headers=EN).get_data(as_text=True)
    assert 'class="care"' not in page and "Organisations" in _nav(page)
    switch = re.search(r'<a class="care-switch" href="([^"]+)">Care mode</a>', page)
    assert switch, "the care-mode switch sits beside the language switch"
    response = client.get(switch.group(1).replace("&amp;", "&"))
    assert response.status_code == 302 and response.headers["Location"] in ("/projects/", "/projects/?")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("care=1;") and "Max-Age=31536000" in cookie and "HttpOnly" in cookie
    page = client.get("/projects/", headers=EN).get_data(as_text=True)
    assert '<html lang="en" class="care">' in page
    nav = _nav(page)
    assert "Micro-projects" in nav and "Projects" in nav
    assert "Organisations" not in nav and "Funds" not in nav and "Campaigns" not in nav  # the shorter menu
    assert re.search(r'<a class="care-switch" href="/care/off\?next=[^"]*">Standard mode</a>', page)
    response = client.get("/care/off?next=/micro/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/micro/")
    assert 'class="care"' not in client.get("/", headers=EN).get_data(as_text=True)


def test_care_mode_keeps_the_residents_page_and_officials_tools_in_the_menu(browser, make_user):
    browser.client.get("/care/on")
    browser.login(make_user(Role.OFFICIAL))
    nav = _nav(browser.get("/", headers=EN).get_data(as_text=True))
    assert "My dashboard" in nav and "Matching console" in nav and "Awards" not in nav


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\r\nSet-Cookie:x=1", "/\\evil"])
def test_care_switch_returns_only_to_local_pages(client, target):
    response = client.get("/care/on", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_care_switch_knows_only_on_and_off(client):
    response = client.get("/care/maybe")
    assert response.status_code == 404 and "care=" not in response.headers.get("Set-Cookie", "")


def test_a_running_match_run_says_politely_that_the_page_updates_itself(browser, make_user):
    official = make_user(Role.OFFICIAL)
    run = MatchRun(created_by_id=official.id, district_id=official.district_id, status=RunStatus.RUNNING, progress=40)
    db.session.add(run)
    db.session.commit()
    browser.login(official)
    page = browser.get(f"/review/runs/{run.id}", headers=EN).get_data(as_text=True)
    live = re.search(r'<p [^>]*id="run-live"[^>]*>', page).group(0)
    assert 'role="status"' in live and 'aria-live="polite"' in live
    assert 'data-message="The run is still in progress; this page updates itself."' in live
    assert "match-progress.js" in page
