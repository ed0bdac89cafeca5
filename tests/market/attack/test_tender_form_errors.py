"""A refused tender form says which cell of the criteria or lots table is wrong: the cell is marked
(aria-invalid) with its message, and the summary's links lead to elements that exist on the page."""
from __future__ import annotations

import re

from market.accounts.models import Role
from market.projects.models import ProjectStatus


def test_a_bad_lot_budget_is_marked_where_it_was_typed(browser, make_user, make_project, geo):
    official = make_user(Role.OFFICIAL, street=geo.streets[0])
    project = make_project(owner=official, status=ProjectStatus.DRAFT)
    browser.login(official)
    response = browser.post(f"/bids/projects/{project.id}/tender", {
        "bid_deadline": "2099-01-01T10:00", "requirements": "需具备居家养老服务经验。", "method": "open_tender",
        "lots-0-title": "第一包", "lots-0-budget": "abc"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    budget_input = re.search(r'<input[^>]*id="lots-0-budget"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in budget_input
    assert 'class="error"' in page  # the message itself is shown somewhere beside the table
    ids = set(re.findall(r'id="([^"]+)"', page))
    summary = re.search(r'<ul class="error-fields">([\s\S]*?)</ul>', page)
    targets = re.findall(r'href="#([^"]+)"', summary.group(1)) if summary else []
    assert targets and all(target in ids for target in targets), (targets, sorted(i for i in ids if "lot" in i))
