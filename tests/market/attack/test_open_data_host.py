"""Open data names its own URLs (package uri, the extension, publication policy, grant URLs, the Link
header) from the configured base URL, never from the Host header a client sends: a forged Host must
not put another site's address into data that tools fetch and caches keep."""
from __future__ import annotations

import pytest

FORGED = "evil.example"


@pytest.mark.parametrize("url", ["/api/v1/ocds/releases.json", "/api/v1/ocds/extension/extension.json",
                                 "/api/v1/360giving/grants.json"])
def test_a_forged_host_does_not_reach_the_published_urls(client, url):
    response = client.get(url, headers={"Host": FORGED})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert FORGED not in response.get_data(as_text=True)
        assert FORGED not in (response.headers.get("Link") or "")
