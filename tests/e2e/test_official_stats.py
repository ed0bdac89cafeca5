"""An official reads the statistics for decisions, in Chinese and English: opens the page from the
menu, changes the period, opens a table under a chart, downloads it as CSV; the page fits a phone."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from tests.e2e.conftest import log_in

DEMO = "@demo.futian.example"


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_official_reads_changes_period_and_downloads_statistics(page, language, tmp_path):
    log_in(page, "official" + DEMO, language)
    page.click("nav.mainnav a[href='/stats/']")
    page.wait_for_url(re.compile(r".*/stats/$"))
    assert page.locator("svg.chart").count() == 7
    page.screenshot(path=str(tmp_path / f"stats-{language}.png"), full_page=True)

    # Another period: the last 90 days, typed into the form.
    last = date.today()
    first = last - timedelta(days=90)
    page.fill("form.stats-filters input[name=from]", first.isoformat())
    page.fill("form.stats-filters input[name=to]", last.isoformat())
    page.click("form.stats-filters button[type=submit]")
    page.wait_for_url(re.compile(rf".*from={first.isoformat()}.*"))
    assert page.locator("form.stats-filters input[name=from]").input_value() == first.isoformat()
    assert page.locator(".flash-danger").count() == 0

    # A preset link keeps working too.
    page.locator(".stats-presets a").nth(2).click()
    page.wait_for_url(re.compile(r".*preset=last_quarter.*"))

    # The table behind the first chart.
    section = page.locator("section#projects-by-street")
    table = section.locator("table")
    assert not table.is_visible()
    section.locator("summary").click()
    assert table.is_visible()
    assert table.locator("tbody tr").count() >= 10  # the demo's streets
    page.screenshot(path=str(tmp_path / f"stats-table-{language}.png"), full_page=True)

    with page.expect_download() as download:
        section.locator("a[href*='projects-by-street.csv']").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("stats-projects-by-street-") and saved.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert len(rows) == table.locator("tbody tr").count() + 2  # header, streets, all streets
    assert all(cell.isdigit() for cell in rows[-1][1:])

    # On a phone the page does not scroll sideways: charts shrink, wide tables scroll in their box.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    page.locator("section#participation summary").click()
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"stats-phone-{language}.png"), full_page=True)


def test_public_statistics_from_the_footer(page, language, tmp_path):
    page.goto(page.base + "/")
    page.click("footer a[href='/stats/public']")
    page.wait_for_url(re.compile(r".*/stats/public"))
    assert page.locator("svg.chart").count() == 7
    assert "@" not in page.inner_text("main")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"stats-public-phone-{language}.png"), full_page=True)
