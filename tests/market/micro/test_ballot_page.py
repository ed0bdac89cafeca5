"""The ballot page for screen readers and older voters: one group whose legend says how many to tick,
each box named by the project's title alone and described by its cost, place and summary, the count of
picks in a polite live region, and a simpler ballot in care mode."""
from __future__ import annotations

import re

import pytest

from market.accounts.models import Role
from market.micro.models import RoundPhase

EN = {"Accept-Language": "en"}


@pytest.fixture
def ballot_page(browser, make_user, make_round, make_proposal):
    def open_(care: bool = False, **round_fields):
        round_ = make_round(phase=RoundPhase.VOTING, **round_fields)
        proposals = [make_proposal(round_, title=title, description=text, cost_yuan=cost)
                     for title, text, cost in (("长者饭堂桌椅", "更换四十套带扶手的桌椅。", 100_000),
                                               ("儿童游乐场", "铺设安全地垫，更换滑梯。", 200_000))]
        if care:
            browser.client.get("/care/on")
        browser.login(make_user(Role.RESIDENT))
        page = browser.get(f"/micro/rounds/{round_.id}/ballot", headers=EN).get_data(as_text=True)
        return page, proposals
    return open_


def _element(page: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, element_id
    return match.group(2)


def test_boxes_are_grouped_under_a_legend_that_says_how_many(ballot_page):
    page, _ = ballot_page(max_picks=3)
    group = page[page.index('<fieldset class="ballot-choices"'):page.index("</fieldset>")]
    assert "<legend>Tick up to 3 projects you support.</legend>" in group
    assert group.count('type="checkbox"') == 2
    counter = re.search(r'<p class="ballot-total" id="ballot-count" aria-live="polite">([^<]*)</p>', page)
    assert counter and counter.group(1) == "Picked 0 of 3"
    assert 'aria-describedby="ballot-count"' in group[:200]


def test_each_box_is_named_by_the_title_alone_and_described_by_the_rest(ballot_page):
    page, proposals = ballot_page(max_picks=2)
    for proposal in proposals:
        box = re.search(rf'<input [^>]*value="{proposal.id}"[^>]*>', page).group(0)
        named = re.search(r'aria-labelledby="([^"]+)"', box).group(1)
        assert re.sub(r"<[^>]+>", "", _element(page, named)) == proposal.title
        described = re.search(r'aria-describedby="([^"]+)"', box).group(1).split()
        texts = " ".join(_element(page, part) for part in described)
        assert "¥" in texts and proposal.place in texts and proposal.description in texts
        assert proposal.title not in texts
    labels = re.findall(r"<label [^>]*>(.*?)</label>", page, re.S)
    assert labels and not any("<a " in label for label in labels)  # no link inside a box's label


def test_care_mode_gives_a_simpler_ballot(ballot_page):
    page, proposals = ballot_page(care=True, max_picks=2)
    assert '<html lang="en" class="care">' in page
    assert proposals[0].description not in page and "supporter" not in page
    for proposal in proposals:
        assert f'id="ballot-title-{proposal.id}"' in page
