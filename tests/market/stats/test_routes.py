"""The statistics pages: who may open them, what they show, the downloads, and absurd input."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

YEAR = {"from": "2025-01-01", "to": "2025-12-31"}


def _as(make_browser, user):
    browser = make_browser()
    browser.login(user)
    return browser


def test_district_official_sees_every_figure_in_both_languages(world, make_browser):
    browser = _as(make_browser, world.district_official)
    page = browser.get("/stats/", query_string={**YEAR, "lang": "en"}).get_data(as_text=True)
    assert "Projects by street" in page and "Money by source" in page and "Turnout, by community" in page
    assert page.count("<svg") == 7 and page.count("<details") == 7  # each chart with its table
    assert "Futian Elders&#39; Home" in page or "Futian Elders' Home" in page
    assert "¥610,000" in page  # money asked in 2025
    assert 'href="/stats/export/projects-by-street.csv?from=2025-01-01&amp;to=2025-12-31"' in page
    zh = browser.get("/stats/", query_string={**YEAR, "lang": "zh"})
    assert zh.status_code == 200 and "福田长者之家" in zh.get_data(as_text=True)


def test_officials_navigation_links_to_the_statistics(world, make_browser):
    browser = _as(make_browser, world.official)
    assert 'href="/stats/"' in browser.get("/dashboard").get_data(as_text=True)
    resident = _as(make_browser, world.residents[0])
    page = resident.get("/dashboard").get_data(as_text=True)
    assert 'href="/stats/"' not in page and 'href="/stats/public"' in page  # the footer's public version


def test_street_official_is_confined_to_their_street(world, make_browser):
    browser = _as(make_browser, world.official)
    own = browser.get("/stats/", query_string={**YEAR, "lang": "zh"})
    assert own.status_code == 200
    text = own.get_data(as_text=True)
    assert world.communities[0].name in text and world.communities[2].name not in text
    assert 'name="street"' not in text  # nothing to choose
    other = world.streets[1].id
    for url in ("/stats/", "/stats/export/providers.csv"):
        refused = browser.get(url, query_string={**YEAR, "street": other})
        assert refused.status_code == 403, url
        assert "own street" in refused.get_data(as_text=True) or "街道" in refused.get_data(as_text=True)
    assert "莲花社工服务社" not in browser.get("/stats/export/providers.csv", query_string=YEAR).get_data(as_text=True)


@pytest.mark.parametrize("who", ["district_official", "admin"])
def test_district_officials_and_administrators_filter_by_street(world, make_browser, make_user, who):
    from market.accounts.models import Role

    browser = _as(make_browser, world.district_official if who == "district_official" else make_user(Role.ADMIN))
    everything = browser.get("/stats/export/projects-by-street.csv", query_string=YEAR).get_data(as_text=True)
    assert len(everything.strip().splitlines()) == 1 + 3 + 1  # header, two streets and the district, all
    body = browser.get("/stats/export/projects-by-street.csv",
                       query_string={**YEAR, "street": world.streets[1].id, "lang": "zh"})
    rows = list(csv.reader(io.StringIO(body.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:-1]] == [world.streets[1].name]  # then the row of all streets
    assert rows[1][1:] == ["4", "240000", "2", "0"]


@pytest.mark.parametrize("role", ["resident", "provider", "funder"])
def test_residents_providers_and_funders_are_refused(world, make_browser, make_user, role):
    from market.accounts.models import Role

    user = {"resident": lambda: world.residents[0],
            "provider": lambda: make_user(Role.PROVIDER, organization=world.providers["P1"]),
            "funder": lambda: make_user(Role.FUNDER)}[role]()
    browser = _as(make_browser, user)
    assert browser.get("/stats/", query_string=YEAR).status_code == 403
    assert browser.get("/stats/export/providers.csv", query_string=YEAR).status_code == 403


def test_visitors_are_sent_to_log_in(world, client):
    response = client.get("/stats/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_public_page_shows_aggregates_without_personal_data(world, client):
    from market.accounts.models import User
    from market.core.db import db

    response = client.get("/stats/public", query_string={**YEAR, "lang": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Futian Elders" in page  # providers are public organisations
    people = db.session.query(User).all()
    for person in people:
        assert person.email not in page and person.display_name not in page
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", page)
    assert "&lt;5" in page and "fewer than 5 residents" in page
    export = client.get("/stats/public/export/participation.csv", query_string={**YEAR, "lang": "zh"})
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    community_one = next(r for r in rows if r[0] == world.communities[0].name)
    # 3 proposals, 4 ballots, 7 votes rest on fewer than 5 residents; 6 eligible residents are shown.
    assert community_one[2:] == ["<5", "<5", "<5", "6", "<5"]
    ratings = list(csv.reader(io.StringIO(client.get("/stats/public/export/ratings.csv",
                                                     query_string={**YEAR, "lang": "zh"})
                                          .get_data(as_text=True).lstrip("\ufeff"))))
    street_one = next(r for r in ratings if r[0] == world.streets[0].name)
    assert street_one[1] == "1" and set(street_one[2:]) == {"<5"}  # three ratings: means withheld


def test_officials_export_shows_what_the_public_withholds(world, make_browser):
    browser = _as(make_browser, world.district_official)
    body = browser.get("/stats/export/participation.csv", query_string={**YEAR, "lang": "zh"}).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    community_one = next(r for r in rows if r[0] == world.communities[0].name)
    assert community_one[2:] == ["3", "4", "7", "6", "66.67"]


def test_csv_and_xlsx_exports_hold_the_same_numbers(world, make_browser):
    browser = _as(make_browser, world.district_official)
    csv_response = browser.get("/stats/export/money-by-source.csv", query_string={**YEAR, "lang": "en"})
    assert csv_response.mimetype == "text/csv"
    assert 'filename="stats-money-by-source-2025-01-01-2025-12-31.csv"' in csv_response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Source", "Reserved at the end of the period (yuan)", "Paid in the period (yuan)"]
    assert rows[2] == ["Street funds", "130000", "50000"]
    assert rows[-1] == ["All sources", "227500", "172000"]
    xlsx = browser.get("/stats/export/money-by-source.xlsx", query_string={**YEAR, "lang": "en"})
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0]
    assert cells[2] == ["Street funds", 130000, 50000]
    assert cells[-1] == ["All sources", 227500, 172000]
    award = browser.get("/stats/export/award-time.xlsx", query_string={**YEAR, "lang": "en"})
    award_cells = [[c.value for c in row] for row in load_workbook(io.BytesIO(award.get_data())).active.iter_rows()]
    assert award_cells[-1] == ["All streets", 5, 30, 36]


@pytest.mark.parametrize(("args", "field"), [
    ({"from": "2025-12-31", "to": "2025-01-01"}, "starts after it ends"),
    ({"from": "2025-13-45", "to": "2025-12-31"}, "YYYY-MM-DD"),
    ({"from": "yesterday", "to": ""}, "YYYY-MM-DD"),
    ({"from": "1900-01-01", "to": "2025-12-31"}, "between 2000-01-01"),
    ({"from": "2000-01-01", "to": "2100-12-31"}, "at most ten years"),
    ({**YEAR, "street": "999999"}, "no such street"),
    ({**YEAR, "street": "99999999999999999999"}, "Choose a street"),
    ({**YEAR, "street": "abc"}, "Choose a street"),
    ({**YEAR, "category": "-1"}, "Choose a category"),
    ({"preset": "forever"}, "offered periods"),
])
def test_absurd_input_is_a_clear_message(world, make_browser, client, args, field):
    browser = _as(make_browser, world.district_official)
    for get, url in ((browser.get, "/stats/"), (client.get, "/stats/public")):
        response = get(url, query_string={**args, "lang": "en"})
        assert response.status_code == 400, (url, args)
        assert field.lower() in response.get_data(as_text=True).lower(), (url, args)
    assert browser.get("/stats/export/providers.csv", query_string={**args, "lang": "en"}).status_code == 400


def test_form_keeps_what_was_typed_next_to_the_message(world, make_browser):
    browser = _as(make_browser, world.district_official)
    page = browser.get("/stats/", query_string={"from": "2025-12-31", "to": "2025-01-01", "lang": "en"})
    text = page.get_data(as_text=True)
    assert 'value="2025-12-31"' in text and 'value="2025-01-01"' in text and "After the last day." in text


def test_unknown_table_or_format_is_not_found(world, make_browser, client):
    browser = _as(make_browser, world.district_official)
    assert browser.get("/stats/export/salaries.csv", query_string=YEAR).status_code == 404
    assert browser.get("/stats/export/providers.pdf", query_string=YEAR).status_code == 404
    assert client.get("/stats/public/export/providers.pdf").status_code == 404


def test_presets_choose_the_period(world, make_browser):
    browser = _as(make_browser, world.district_official)
    for preset in ("this_year", "last_12_months", "last_quarter"):
        page = browser.get("/stats/", query_string={"preset": preset, "street": world.streets[0].id})
        assert page.status_code == 200
        assert f'preset={preset}&amp;street={world.streets[0].id}' in page.get_data(as_text=True)
