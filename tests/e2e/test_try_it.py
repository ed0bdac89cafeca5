"""The README's "Try it" lists, followed step by step on a phone-sized screen in both languages.

Each step of the README is one function here, registered under the step's exact text: when the README
changes, `tests/test_readme.py` (run by `make test`) fails until these steps change with it. The site is
what `make run` builds: `flask db upgrade` and `flask demo load --if-empty` on an empty instance, copied
once per language so that each language starts from the same fresh database.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.conftest import biddable_tenders, keep_screenshot_if_failed

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PASSWORD = "demo-password-2026"  # noqa: S105 - the published demo password
PHONE = {"width": 375, "height": 812}

Step = Callable[..., None]
STEPS: dict[str, list[tuple[str, Step]]] = {}


def step(account: str, text: str) -> Callable[[Step], Step]:
    """Register ``fn`` as the next step of ``account``'s list, under the README's exact text."""
    def register(fn: Step) -> Step:
        STEPS.setdefault(account, []).append((text, fn))
        return fn
    return register


def readme_lists(text: str | None = None) -> dict[str, list[str]]:
    """The README's "Try it" lists: account e-mail -> the steps' texts, in order."""
    text = text if text is not None else README.read_text(encoding="utf-8")
    section = text.split("\n## Try it\n", 1)[1].split("\n## ", 1)[0]
    lists: dict[str, list[str]] = {}
    account = None
    for line in section.splitlines():
        heading = re.match(r"### .+ — `([^`]+)`$", line)
        if heading:
            account = heading.group(1)
            lists[account] = []
        elif account and (item := re.match(r"\d+\. (.+)$", line)):
            lists[account].append(item.group(1))
    return lists


# ---------------------------------------------------------------- the site `make run` builds

def _flask(instance: Path, *args: str) -> None:
    env = {**os.environ, "MARKET_INSTANCE_PATH": str(instance), "FLASK_APP": "wsgi"}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(Path(sys.executable).parent / "flask"), *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def fresh_instance(tmp_path_factory) -> Path:
    """An instance folder as `make run` leaves it: migrated, demo loaded into the empty database."""
    instance = tmp_path_factory.mktemp("make-run")
    _flask(instance, "db", "upgrade")
    _flask(instance, "demo", "load", "--if-empty")
    return instance


class Site:
    """A copy of the fresh instance, served by the production configuration on a free loopback port."""

    def __init__(self, instance: Path) -> None:
        from werkzeug.serving import make_server

        from market import create_app
        from market.config import Config

        previous = os.environ.get("MARKET_INSTANCE_PATH")
        os.environ["MARKET_INSTANCE_PATH"] = str(instance)
        try:
            self.app = create_app(Config())
        finally:
            if previous is None:
                os.environ.pop("MARKET_INSTANCE_PATH")
            else:
                os.environ["MARKET_INSTANCE_PATH"] = previous
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def query(self, fn):
        from market.core.db import db

        with self.app.app_context():
            return fn(db.session)


@pytest.fixture(scope="session")
def sites(fresh_instance, tmp_path_factory) -> Iterator[dict[str, Site]]:
    served: dict[str, Site] = {}
    for language in ("zh", "en"):
        copy = tmp_path_factory.mktemp(f"make-run-{language}")
        shutil.copytree(fresh_instance, copy, dirs_exist_ok=True)
        served[language] = Site(copy)
    yield served
    for site in served.values():
        site.server.shutdown()


@pytest.fixture
def phone(chromium, sites, language, request):
    context = chromium.new_context(locale="zh-CN" if language == "zh" else "en-US", viewport=PHONE,
                                   extra_http_headers={"Accept-Language": "zh-CN,zh" if language == "zh"
                                                       else "en-US,en"})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.site = sites[language]
    page.base = page.site.base
    page.language = language
    yield page
    keep_screenshot_if_failed(page, request)
    context.close()


def _success(page) -> None:
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() >= 1, page.locator("main").inner_text()[:500]


def _fits(page) -> None:
    """Nothing on the page scrolls sideways on the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def _zh(page, zh: str, en: str) -> str:
    return zh if page.language == "zh" else en


def _follow(page, link: str, lands_on: str, start: str | None = "/dashboard") -> None:
    """From ``start`` (None: where the page is), follow the first link matching ``link`` to ``lands_on``."""
    if start is not None:
        page.goto(page.base + start)
    page.locator(link).first.click()
    page.wait_for_url(re.compile(lands_on))
    _fits(page)


def _log_in(page, email: str) -> None:
    page.goto(page.base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard"))
    _fits(page)


def _log_out(page) -> None:
    toggle = page.locator("button.menu-toggle")
    if toggle.is_visible():
        toggle.click()
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_load_state()
    page.goto(page.base + "/dashboard")
    assert "/login" in page.url


# ---------------------------------------------------------------- resident

RESIDENT = "resident@demo.futian.example"


@step(RESIDENT, "Log in with the demo password.")
def _resident_logs_in(page):
    _log_in(page, RESIDENT)


@step(RESIDENT, "On *My dashboard*, under *Micro-projects in my community*, press **Propose a project** in "
                "福山社区's round.")
def _resident_opens_the_proposal_form(page):
    _follow(page, "main a[href$='/proposals/new']", r".*/micro/rounds/\d+/proposals/new$", start=None)


@step(RESIDENT, "Write a title and a few sentences, press **Suggest a category**, keep or change the suggestion, "
                "add the place and an estimate, and submit it for review.")
def _resident_proposes(page):
    page.fill("input[name=title]", _zh(page, "小区健身路径增设适老化器材", "Elder-friendly equipment on the fitness trail"))
    page.fill("textarea[name=description]", _zh(
        page, "小区健身路径的器材都是给年轻人用的，长者想锻炼却没有合适的器材。建议增设太极推手器、腿部按摩器等适老化健身器材。",
        "The fitness trail only has equipment for young people. Add elder-friendly machines such as tai chi "
        "wheels and leg massagers so older residents can exercise too."))
    page.click("button[name=suggest]")
    page.wait_for_load_state()
    assert page.locator("select[name=category_id]").input_value() != ""  # a category was suggested
    assert page.locator("input[name=title]").input_value() != ""  # nothing typed was lost
    page.select_option("select[name=project_type]", "goods")
    page.fill("input[name=place]", _zh(page, "福山花园健身路径", "Fushan Garden fitness trail"))
    page.fill("input[name=estimated_cost]", "60000")
    page.click("button[name=submit]")
    _success(page)
    assert re.search(r"/micro/proposals/\d+$", page.url)
    _fits(page)


@step(RESIDENT, "Back on *My dashboard*, press **Vote now** in 福田街道's street-wide round, tick up to three "
                "projects and cast your ballot.")
def _resident_votes(page):
    _follow(page, "main a[href$='/ballot']", r".*/micro/rounds/\d+/ballot$")
    boxes = page.locator("input[type=checkbox][name=proposal_ids]")
    for index in (0, 2):
        boxes.nth(index).check()
    _fits(page)
    page.locator("main form button[type=submit]").last.click()
    _success(page)
    assert [boxes.nth(i).is_checked() for i in range(3)] == [True, False, True]  # the ballot as cast


@step(RESIDENT, "Under *Projects you can rate*, press **Rate it**, give stars for each criterion and send your "
                "rating.")
def _resident_rates(page):
    _follow(page, "main a[href$='/rate']", r".*/micro/projects/\d+/rate$")
    for criterion, stars in (("quality", 5), ("timeliness", 4), ("communication", 4), ("value_for_money", 5)):
        page.locator(f"input[name={criterion}][value='{stars}']").check()
    _fits(page)
    page.locator("main form button[type=submit]").click()
    _success(page)
    page.goto(page.base + "/dashboard")
    assert page.locator("main a[href$='/rate']").count() == 0  # nothing left to rate


@step(RESIDENT, "Open *Notifications*, then *Notification settings*, and choose how you are told.")
def _resident_chooses_notifications(page):
    page.goto(page.base + "/notifications/")
    assert page.locator("main li, main tr").count() >= 1  # the round openings and the rating told them
    _follow(page, "main a[href$='/notifications/preferences']", r".*/notifications/preferences$", start=None)
    box = page.locator("input[name=sms__micro__voting_opened]")
    box.uncheck()
    _fits(page)
    page.locator("main form button[type=submit]").last.click()
    _success(page)
    assert not page.locator("input[name=sms__micro__voting_opened]").is_checked()


@step(RESIDENT, "Log out.")
def _resident_logs_out(page):
    _log_out(page)


# ---------------------------------------------------------------- provider

PROVIDER = "provider@demo.futian.example"


@step(PROVIDER, "Log in with the demo password.")
def _provider_logs_in(page):
    _log_in(page, PROVIDER)


@step(PROVIDER, "On *My dashboard*, follow *Open government-purchased services* and open a tender in your field "
                "that you have not bid on yet.")
def _provider_finds_a_tender(page):
    _follow(page, "main a[href*='status=open'][href*='kind=government_service']", r".*/projects/\?.*status=open", start=None)
    tenders = page.site.query(lambda session: biddable_tenders(session, PROVIDER))
    assert tenders
    tender = tenders[0]
    page.goto(page.base + f"/projects/{tender[0]}")
    page.tender, page.budget = tender
    _fits(page)


@step(PROVIDER, "Submit a sealed bid with your price, approach and team; until the deadline only your "
                "organisation can see it.")
def _provider_bids(page):
    page.locator(f"main a[href$='/bids/projects/{page.tender}/bid']").first.click()
    page.wait_for_url(re.compile(rf".*/bids/projects/{page.tender}/bid$"))
    page.fill("input[name=price]", str(page.budget // 100 * 9 // 10))
    page.fill("textarea[name=proposal]", _zh(page, "由持证社工与护理员组成服务队，每周上门两次，建立服务对象档案。",
                                             "A team of licensed social workers and carers visits twice a week."))
    page.fill("textarea[name=team]", _zh(page, "项目主管1名，社工3名", "One project lead, three social workers"))
    _fits(page)
    page.locator("main form button[type=submit]").last.click()
    _success(page)
    assert re.search(r"/bids/[0-9a-f]{32}$", page.url)  # the sealed bid's own page


@step(PROVIDER, "Back on *My dashboard*, under *My contracts*, open the signed contract and report its next "
                "milestone done with a note.")
def _provider_reports_a_milestone(page):
    from market.contracts.models import Contract, ContractStatus

    page.goto(page.base + "/dashboard")
    signed = page.site.query(lambda session: session.scalars(select(Contract.id).where(
        Contract.status == ContractStatus.SIGNED)).all())
    links = page.locator("main a[href*='/review/contracts/']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    href = next(h for h in hrefs if int(h.rsplit("/", 1)[1]) in signed)
    contract = page.locator(f"main a[href='{href}']").first
    contract.click()
    page.wait_for_url(re.compile(r".*/review/contracts/\d+$"))
    form = page.locator("form[action$='/submit']").first
    form.locator("textarea[name=note]").fill(_zh(page, "本阶段服务已完成，服务台账和回访记录已上传。",
                                                 "This stage is delivered; the service log and follow-up calls are "
                                                 "recorded."))
    _fits(page)
    form.locator("button[type=submit]").click()
    _success(page)


@step(PROVIDER, "Log out.")
def _provider_logs_out(page):
    _log_out(page)


# ---------------------------------------------------------------- funder

FUNDER = "funder@demo.futian.example"


@step(FUNDER, "Log in with the demo password.")
def _funder_logs_in(page):
    _log_in(page, FUNDER)


@step(FUNDER, "On *My dashboard*, under *My funding pools*, open the foundation's pool and see where its money "
              "went.")
def _funder_opens_the_pool(page):
    _follow(page, "main a[href^='/funds/']:not([href$='/new'])", r".*/funds/\d+$", start=None)
    page.pool_url = page.url
    assert page.locator("main table").count() >= 1  # where the allocated money went
    _fits(page)


@step(FUNDER, "Press **New matching campaign**: name it, choose the 1:1 rule, an amount, the dates and two "
              "projects, and open the campaign.")
def _funder_opens_a_campaign(page):
    from market.core.calendar import local_date
    from market.core.db import utcnow

    _follow(page, "main a[href$='/campaigns/new']", r".*/campaigns/new$", start=None)
    page.fill("input[name=name]", _zh(page, "恒信岁末长者关爱配捐", "Hengxin year-end match for older residents"))
    page.select_option("select[name=rule]", index=0)
    page.fill("input[name=amount]", "20000")
    page.fill("input[name=per_donor_cap]", "500")
    today = local_date(utcnow())
    page.fill("input[name=starts_on]", today.isoformat())
    page.fill("input[name=ends_on]", today.replace(day=1).replace(month=today.month % 12 + 1,
                                                                   year=today.year + today.month // 12).isoformat())
    options = page.locator("select[name=project_ids] option")
    page.select_option("select[name=project_ids]", [options.nth(0).get_attribute("value"),
                                                     options.nth(1).get_attribute("value")])
    _fits(page)
    page.locator("main form button[type=submit]").last.click()
    _success(page)
    assert re.search(r"/funding/campaigns/\d+$", page.url)


@step(FUNDER, "Back on the pool, see the campaign's money reserved among its allocations.")
def _funder_sees_the_reservation(page):
    page.goto(page.pool_url)
    assert "20,000" in page.locator("main").inner_text()


@step(FUNDER, "Log out.")
def _funder_logs_out(page):
    _log_out(page)


# ---------------------------------------------------------------- official

OFFICIAL = "street.official@demo.futian.example"


@step(OFFICIAL, "Log in with the demo password.")
def _official_logs_in(page):
    _log_in(page, OFFICIAL)


@step(OFFICIAL, "On *My dashboard*, follow *Bids to open* and open the bids of the tender that closed yesterday; "
                "the opening record is public.")
def _official_opens_bids(page):
    _follow(page, "main a[href$='/bids/projects/awaiting-opening']", r".*/awaiting-opening$", start=None)
    page.locator("form[action$='/open'] button[type=submit]").first.click()
    _success(page)
    opening = re.search(r"/bids/projects/(\d+)", page.url).group(1)
    page.goto(page.base + f"/bids/projects/{opening}/opening")
    assert page.locator("main table tbody tr").count() >= 1  # each bidder, price and time


@step(OFFICIAL, "Open the *Matching console*, open the latest run, tick a proposal and approve it after checking "
                "the totals.")
def _official_approves_a_proposal(page):
    page.goto(page.base + "/review/")
    _follow(page, "main a[href*='/review/runs/']", r".*/review/runs/\d+", start=None)
    page.locator("input[type=checkbox][name=proposal_ids]").first.check()
    _follow(page, "form.run-rows button[type=submit]", r".*/approve-selected$", start=None)
    assert page.locator("table.bulk-pools").count() == 1  # the totals per pool
    reasons = page.locator("textarea[name^=reason_]")
    for index in range(reasons.count()):
        reasons.nth(index).fill(_zh(page, "居民代表会议推荐该机构。", "Recommended by the residents' representatives."))
    _fits(page)
    page.locator("form[action$='/approve-selected/confirm'] button[type=submit]").click()
    _success(page)


@step(OFFICIAL, "Under *Micro-projects*, open *Residents' matters routed to my office* and acknowledge a matter "
                "waiting there.")
def _official_acknowledges(page):
    _follow(page, "main a[href$='/micro/queue']", r".*/micro/queue$")
    page.locator("form[action$='/acknowledge'] button[type=submit]").first.click()
    _success(page)


@step(OFFICIAL, "Under *Proposals to review*, open one, mark it feasible with the official cost and record the "
                "review.")
def _official_reviews(page):
    _follow(page, "main a[href$='/review'][href*='/micro/proposals/']", r".*/micro/proposals/\d+/review$")
    page.locator("input[name=outcome][value=feasible]").check()
    page.fill("input[name=official_cost]", "50000")
    _fits(page)
    page.locator("main form button[type=submit]").last.click()
    _success(page)


@step(OFFICIAL, "Open the overdue problem report of the project under way and answer it.")
def _official_answers_a_flag(page):
    _follow(page, ".overdue-flags a", r".*/micro/projects/\d+")
    form = page.locator("form[action*='/micro/flags/'][action$='/answer']").first
    form.locator("textarea[name=answer]").fill(_zh(page, "已联系施工方，本周五前复工，并每日在群里通报进度。",
                                                   "The contractor resumes work by Friday and reports progress daily."))
    _fits(page)
    form.locator("button[type=submit]").click()
    _success(page)


@step(OFFICIAL, "Log out.")
def _official_logs_out(page):
    _log_out(page)


# ---------------------------------------------------------------- the lists, followed

@pytest.mark.parametrize("account", [RESIDENT, PROVIDER, FUNDER, OFFICIAL])
def test_each_account_follows_its_try_it_list_on_a_phone(phone, account):
    assert [text for text, _fn in STEPS[account]] == readme_lists()[account]
    for number, (text, fn) in enumerate(STEPS[account], start=1):
        try:
            fn(phone)
        except Exception as error:
            raise AssertionError(f"{account}, step {number} ({phone.language}): {text}") from error
