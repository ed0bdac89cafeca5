"""An official reads the audit trail, in Chinese and English: filters it to one kind of decision,
sees who took it by name and role, and downloads the same events as CSV."""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from tests.e2e.conftest import log_in, query

DEMO = "@demo.futian.example"
ROLE = {"zh": "政府工作人员", "en": "Official"}


def test_official_filters_the_audit_trail_and_downloads_it(page, language, tmp_path):
    from market.accounts.models import User
    from market.core.audit import AuditEvent

    def verifications(session):
        official = session.scalar(select(User.id).where(User.email == "official" + DEMO))
        return official, session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor_id == official, AuditEvent.object_type == "organizations",
            AuditEvent.action == "organization.verified"))

    official_id, expected = query(verifications)
    assert expected >= 1  # the demo's official verified organisations
    log_in(page, "official" + DEMO, language)
    page.goto(page.base + "/audit/")
    assert page.locator("html").get_attribute("lang").startswith(language)
    page.select_option("select[name=actor]", str(official_id))
    page.select_option("select[name=object_type]", "organizations")
    page.select_option("select[name=action]", "organization.verified")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r".*object_type=organizations.*action=organization.verified"))
    rows = page.locator("table.audit-events tbody tr")
    assert rows.count() == min(expected, 50)
    first = rows.first.inner_text()
    assert ROLE[language] in first
    assert "organization.verified" not in first and "@" not in first
    assert page.locator("table.audit-events a[href^='/organizations/']").count() >= 1
    page.screenshot(path=str(tmp_path / f"audit-filtered-{language}.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("a[href*='/audit/export.csv']").click()
    download = download_info.value
    assert download.suggested_filename.startswith("audit-trail-") and download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    body = saved.read_text(encoding="utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:])))
    assert len(table) == expected + 1
    assert {row[5] for row in table[1:]} == {"organization.verified"}  # the action code column
    assert {row[3] for row in table[1:]} == {ROLE[language]}
    assert "@" not in body  # officials never see e-mail addresses

    page.goto(page.base + "/audit/?verify=1")
    assert page.locator("#chain-report.flash-success").count() == 1
    page.screenshot(path=str(tmp_path / f"audit-verified-{language}.png"), full_page=True)
    assert (tmp_path / f"audit-filtered-{language}.png").stat().st_size > 0
