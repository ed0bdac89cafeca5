"""Accessibility (GB/T 37668-2019, WCAG 2.1 AA; the 2021 age-friendly rules), in Chinese and English:
axe-core finds nothing serious on the key pages at desktop and phone widths; log-in and voting work
with the keyboard alone in few key presses; at 200 % zoom no key page scrolls sideways; care mode
(长辈模式) is large, high-contrast and saved without JavaScript."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.e2e.a11y import axe_violations, border_contrast, low_contrast_text, sideways, text_sizes_below
from tests.e2e.conftest import log_in, query

DEMO = "@demo.futian.example"
PUBLIC_PATHS = ["/", "/login", "/register", "/projects/", "/organizations/", "/funds/", "/micro/", "/funding/campaigns",
                "/review/awards", "/open-data", "/search?q=养老", "/stats/public"]
RESIDENT_PATHS = ["/dashboard", "/notifications/", "/notifications/preferences"]
OFFICIAL_PATHS = ["/dashboard", "/review/", "/audit/", "/micro/queue", "/stats/"]


def _voting_round() -> int:
    from market.accounts.models import User
    from market.micro.models import MicroRound, RoundPhase

    def find(session):
        resident = session.scalar(select(User).where(User.email == "resident" + DEMO))
        return next(r.id for r in session.scalars(select(MicroRound).where(MicroRound.phase == RoundPhase.VOTING)
                                                  .order_by(MicroRound.id))
                    if r.covers(resident.community_id, resident.community.street_id))

    return query(find)


def _finished_run() -> int:
    from market.review.models import MatchRun, RunStatus

    return query(lambda s: s.scalar(select(MatchRun.id).where(MatchRun.status == RunStatus.SUCCEEDED).order_by(MatchRun.id)))


def _detail_paths() -> list[str]:
    from market.micro.models import MicroRound, Proposal
    from market.orgs.models import Organization
    from market.projects.models import Project

    def first(model):
        return query(lambda s: s.scalar(select(model.id).order_by(model.id)))

    round_id = first(MicroRound)
    return [f"/projects/{first(Project)}", f"/organizations/{first(Organization)}", f"/micro/rounds/{round_id}",
            f"/micro/rounds/{round_id}/results", f"/micro/proposals/{first(Proposal)}"]


def _context(chromium, language: str, width: int, height: int = 900, **extra):
    context = chromium.new_context(locale="zh-CN" if language == "zh" else "en-US",
                                   extra_http_headers={"Accept-Language": "zh-CN,zh" if language == "zh" else "en-US,en"},
                                   viewport={"width": width, "height": height}, **extra)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def axe_page(chromium, live_server, language, request):
    """A page whose context lets axe-core's injected script run (for the axe tests only)."""
    width = getattr(request, "param", 1280)
    context = _context(chromium, language, width, bypass_csp=True)
    page = context.new_page()
    page.base = live_server
    yield page
    context.close()


@pytest.mark.parametrize("axe_page", [1280, 375], indirect=True, ids=["desktop", "phone"])
def test_axe_finds_nothing_serious_on_key_pages(axe_page, language):
    page = axe_page
    found: dict[str, list[str]] = {}

    def check(label: str, path: str) -> None:
        response = page.goto(page.base + path)
        assert response.status < 400, path
        if problems := axe_violations(page):
            found[label] = problems

    for path in PUBLIC_PATHS + _detail_paths():
        check(path, path)
    log_in(page, "resident" + DEMO, language)
    for path in RESIDENT_PATHS + [f"/micro/rounds/{_voting_round()}/ballot"]:
        check("resident " + path, path)
    page.context.clear_cookies()
    log_in(page, "street.official" + DEMO, language)
    for path in OFFICIAL_PATHS + [f"/review/runs/{_finished_run()}"]:
        check("official " + path, path)
    assert found == {}, "\n".join(f"{where}: {problem}" for where, problems in found.items() for problem in problems)


# ---------------------------------------------------------------- the keyboard alone

def _tab_until(page, selector: str, most: int) -> int:
    """Press Tab until ``selector`` has the focus; the number of presses."""
    for count in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return count
    pytest.fail(f"{selector} not reached in {most} Tabs")


def _focus_ring(page) -> tuple[float, str]:
    """The focused element's outline width (px) and style."""
    return page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                                    return [parseFloat(s.outlineWidth), s.outlineStyle]; }""")


def _skip_to_content(page) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()  # off-screen until it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"


def test_log_in_with_the_keyboard_alone_in_four_tabs(page, language):
    page.goto(page.base + "/login")
    _skip_to_content(page)
    tabs = 1 + _tab_until(page, "input[name=email]", 3)
    width, style = _focus_ring(page)
    assert width >= 3 and style == "solid"
    page.keyboard.type("resident" + DEMO)
    tabs += _tab_until(page, "input[name=password]", 1)
    page.keyboard.type("demo-password-2026")
    tabs += _tab_until(page, "main form button[type=submit]", 1)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/dashboard"))
    assert tabs <= 4


def _fresh_voter() -> tuple[str, int]:
    """A verified resident who may vote in the street-wide round and has not voted yet, and the round."""
    from market.accounts.models import Role, User
    from market.micro.models import Ballot, MicroRound
    from market.micro.services import voting

    round_id = _voting_round()

    def find(session):
        round_ = session.get(MicroRound, round_id)
        voted = select(Ballot.voter_id).where(Ballot.round_id == round_id)
        for user in session.scalars(select(User).where(User.role == Role.RESIDENT, User.id.not_in(voted))
                                    .order_by(User.id.desc())):
            if voting.voting_problem(user, round_) is None:
                return user.email
        raise AssertionError("no resident left to vote")

    return query(find), round_id


def test_vote_with_the_keyboard_alone(page, language):
    email, round_id = _fresh_voter()
    log_in(page, email, language)
    page.goto(page.base + f"/micro/rounds/{round_id}/ballot")
    boxes = page.locator("input[type=checkbox][name=proposal_ids]")
    options = boxes.count()
    assert options >= 3
    wanted = {0, 2} if language == "zh" else {1, 2}
    _skip_to_content(page)
    tabs, seen = 1, 0
    while not page.evaluate("() => document.activeElement.matches('#ballot-form button[type=submit]')"):
        page.keyboard.press("Tab")
        tabs += 1
        assert tabs <= 2 * options + 6, "too many Tabs to reach the ballot's button"
        if page.evaluate("() => document.activeElement.matches('input[name=proposal_ids]')"):
            width, style = _focus_ring(page)
            assert width >= 3 and style == "solid"
            if seen in wanted:
                page.keyboard.press("Space")
            seen += 1
    counter = page.locator("#ballot-count")
    assert counter.get_attribute("aria-live") == "polite"
    assert re.search(r"\b2\b.*\b3\b", counter.inner_text())  # "Picked 2 of 3" / "已选 2 项，最多 3 项"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".flash-success").count() >= 1
    assert {i for i in range(options) if boxes.nth(i).is_checked()} == wanted


# ---------------------------------------------------------------- 200 % zoom: 640 CSS pixels wide

def _scrolling_boxes(page) -> list[str]:
    """Elements that scroll sideways inside themselves."""
    return page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(el => el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
        .map(el => el.tagName + '.' + el.className)""")


def test_no_key_page_scrolls_sideways_at_200_percent_zoom(chromium, live_server, language):
    context = _context(chromium, language, 640, 400)
    page = context.new_page()
    page.base = live_server
    wide: dict[str, list[str]] = {}

    def check(label: str, path: str, *, menu: bool = False) -> None:
        response = page.goto(page.base + path)
        assert response.status < 400, path
        if menu:  # the officials' navigation, opened
            page.locator("button.menu-toggle").click()
        if offenders := sideways(page):
            wide[label] = offenders

    for path in PUBLIC_PATHS + _detail_paths():
        check(path, path)
    log_in(page, "street.official" + DEMO, language)
    run_page = f"/review/runs/{_finished_run()}"
    for path in OFFICIAL_PATHS + [run_page]:
        check("official " + path, path, menu=True)
    for path in ("/audit/", run_page):  # their tables become cards rather than scroll inside a box
        page.goto(page.base + path)
        assert _scrolling_boxes(page) == [], path
    context.close()
    assert wide == {}


# ---------------------------------------------------------------- care mode (关怀模式)

@pytest.mark.parametrize("width", [375, 1280], ids=["phone", "desktop"])
def test_care_mode_is_large_high_contrast_and_needs_no_javascript(chromium, live_server, language, width):
    context = _context(chromium, language, width, 800, java_script_enabled=False,
                       is_mobile=width < 500, has_touch=width < 500)
    page = context.new_page()
    page.base = base = live_server
    page.goto(base + "/micro/")
    page.locator("a.care-switch").click()
    page.wait_for_url(re.compile(r".*/micro/$"))  # back where the reader was
    assert page.locator("html").get_attribute("class") == "care"
    assert page.locator("nav.mainnav a").count() <= 3  # the shorter menu

    log_in(page, "resident" + DEMO, language)
    problems: dict[str, list] = {}
    for path in ["/", "/micro/", "/projects/", f"/micro/rounds/{_voting_round()}/ballot", "/dashboard",
                 "/notifications/"] + _detail_paths()[2:]:
        page.goto(base + path)
        body = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        found = []
        if body < 18:
            found.append(f"body text {body}px")
        found += text_sizes_below(page, 16)
        found += low_contrast_text(page, 4.5)
        found += [f"border {r:.2f}" for r in border_contrast(page, "main input:not([type=hidden]):not([type=checkbox]), "
                                                                    "main select, main textarea, header input, .progress, .vote-bar")
                  if r < 3]
        small_targets = page.evaluate("""() => [...document.querySelectorAll(
                'nav.mainnav a, .usernav a, main button, main .button, main select, main input:not([type=hidden]):not([type=checkbox]), .ballot-check')]
            .filter(el => el.checkVisibility()).map(el => [el.tagName + '.' + el.className, el.getBoundingClientRect().height])
            .filter(([, height]) => height < 48)""")
        found += [f"target {name} {height}px" for name, height in small_targets]
        if found:
            problems[path] = found
    assert problems == {}

    boxes = page.locator(".ballot-check input")
    page.goto(base + f"/micro/rounds/{_voting_round()}/ballot")
    box = boxes.first.bounding_box()
    assert box["width"] >= 28 and box["height"] >= 28  # a large box in a 48-pixel target
    page.locator("a.care-switch").click()
    assert page.locator("html").get_attribute("class") is None
    context.close()


def test_vote_bars_and_meters_stay_visible_in_forced_colours(page, language):
    from market.micro.models import MicroRound, RoundPhase

    final = query(lambda s: s.scalar(select(MicroRound.id).where(MicroRound.phase.in_(
        (RoundPhase.NOTICE, RoundPhase.FINAL))).order_by(MicroRound.id)))
    page.emulate_media(forced_colors="active")
    page.goto(page.base + f"/micro/rounds/{final}/results")
    # Each track keeps an outline; each fill keeps its own (system) colour instead of the page's.
    seen = page.evaluate("""() => [...document.querySelectorAll('.vote-bar, .progress')].map(track => ({
        border: parseFloat(getComputedStyle(track).borderTopWidth),
        fill: getComputedStyle(track.firstElementChild).forcedColorAdjust}))""")
    assert seen and all(bar["border"] >= 1 and bar["fill"] == "none" for bar in seen), seen
