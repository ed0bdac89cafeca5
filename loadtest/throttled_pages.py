"""Transfer size and time to first content of the resident pages on an emulated slow phone network
(1.6 Mbit/s down, 750 kbit/s up, 150 ms latency, no cache), in Chromium at 375 × 812.

    .venv/bin/python loadtest/throttled_pages.py [BASE_URL]

Serve the demo first (``make run``); the pages are read as the demo resident.
"""
from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

# The home page, the micro-projects, the round collecting the resident's proposals and the ballot of the
# round in voting (both found on their dashboard), and their notifications.
PAGES = ["/", "/micro/", "{collecting}", "{ballot}", "/notifications/"]
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
TIMINGS = """() => { const n = performance.getEntriesByType('navigation')[0];
    const f = performance.getEntriesByName('first-contentful-paint')[0];
    return [f ? f.startTime : -1, n.domContentLoadedEventEnd, n.loadEventEnd]; }"""


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
        page = context.new_page()
        page.goto(base + "/lang/zh?next=/")
        page.goto(base + "/login")
        page.fill("input[name=email]", "resident@demo.futian.example")
        page.fill("input[name=password]", "demo-password-2026")
        page.click("form button[type=submit]")
        page.wait_for_url("**/dashboard")
        links = {"collecting": page.locator("main a[href$='/proposals/new']").first.get_attribute("href")
                 .removesuffix("/proposals/new"),
                 "ballot": page.locator("main a[href$='/ballot']").first.get_attribute("href")}
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", NETWORK)
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        sizes: dict[str, int] = {}
        cdp.on("Network.loadingFinished", lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
        print("page\tbytes\trequests\tfirst content ms\tDOMContentLoaded ms\tload ms")
        for path in (p.format(**links) for p in PAGES):
            sizes.clear()
            page.goto(base + path, wait_until="load")
            page.wait_for_timeout(300)
            first, ready, loaded = page.evaluate(TIMINGS)
            print(f"{path}\t{sum(sizes.values())}\t{len(sizes)}\t{first:.0f}\t{ready:.0f}\t{loaded:.0f}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
