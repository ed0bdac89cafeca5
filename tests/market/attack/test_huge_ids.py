"""Ids no column can hold, in the JSON API and the district-scoped pages: a 404 (or an empty listing), never a
500."""
from __future__ import annotations

import pytest

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("url", [f"/api/v1/projects/{HUGE}", f"/api/v1/organizations/{HUGE}",
                                 f"/api/v1/funds/{HUGE}", f"/bids/districts/{HUGE}/settings",
                                 f"/notifications/undelivered/{HUGE}/retry", f"/audit/?object_id={HUGE}",
                                 f"/audit/?actor={HUGE}", f"/api/v1/projects?street_id={HUGE}"])
def test_an_id_too_large_for_any_column_is_a_4xx(city, make_browser, url):
    browser = make_browser()
    browser.login(city.a_official)
    response = browser.post(url) if url.endswith("/retry") else browser.get(url)
    assert response.status_code < 500, (url, response.status_code)
    if "?" not in url:  # a path naming no object that exists
        assert response.status_code in (403, 404), (url, response.status_code)
