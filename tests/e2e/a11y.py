"""Accessibility checks run inside the test browser: axe-core (from the npm package pinned in
tests/e2e/package.json, installed by `make test-e2e`), computed sizes and contrast ratios."""
from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in tests/e2e (make test-e2e does)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, impacts: tuple[str, ...] = BLOCKING) -> list[str]:
    """The WCAG 2.1 A/AA rules the page breaks with the given impacts, as 'rule (n): first targets'.

    The page's context must bypass the Content-Security-Policy (``bypass_csp=True``), which forbids the
    inline script axe is injected as; the application's own policy stays as strict as it is."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    found = page.evaluate("""async (tags) => {
        const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                       resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
                                            targets: v.nodes.map(n => n.target.join(' '))}));
    }""", WCAG_TAGS)
    return [f"{v['id']} ({len(v['targets'])}): {', '.join(v['targets'][:3])}"
            for v in found if v["impact"] in impacts]


def sideways(page) -> list[str]:
    """What sticks out on the right of the viewport (empty when the page does not scroll sideways)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        return [...document.querySelectorAll('body *')].filter(el => {
            const right = el.getBoundingClientRect().right, parent = el.parentElement.getBoundingClientRect().right;
            return right > width + 1 && parent <= width + 1;
        }).slice(0, 5).map(el => el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 40));
    }""")


# Relative luminance and contrast ratio (WCAG 2.1, 1.4.3 and 1.4.11), for computed colours; a
# transparent background is looked up on the ancestors.
_COLOUR_JS = """
    const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
        const c = [r, g, b].map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const background = (el) => {
        for (let node = el; node; node = node.parentElement) {
            const c = rgb(getComputedStyle(node).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
"""


def text_sizes_below(page, least_px: float) -> list[str]:
    """Visible text whose computed font size is below ``least_px`` (tag, class, size, text)."""
    return page.evaluate("""(least) => {
        const small = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!node.textContent.trim() || !el || !el.checkVisibility({visibilityProperty: true})) continue;
            const rect = el.getBoundingClientRect();
            if (rect.width <= 1 || rect.height <= 1) continue;
            const size = parseFloat(getComputedStyle(el).fontSize);
            if (size < least) small.push(`${el.tagName}.${el.className} ${size}px: ${node.textContent.trim().slice(0, 30)}`);
        }
        return small.slice(0, 10);
    }""", least_px)


def low_contrast_text(page, least: float = 4.5) -> list[str]:
    """Visible text in the main content and navigation whose colour contrasts less than ``least``
    with its background."""
    return page.evaluate("(least) => {" + _COLOUR_JS + """
        const low = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!node.textContent.trim() || !el || !el.checkVisibility({visibilityProperty: true})) continue;
            const r = ratio(rgb(getComputedStyle(el).color).slice(0, 3), background(el));
            if (r < least) low.push(`${el.tagName}.${el.className} ${r.toFixed(2)}: ${node.textContent.trim().slice(0, 30)}`);
        }
        return low.slice(0, 10);
    }""", least)


def border_contrast(page, selector: str) -> list[float]:
    """The contrast of each matching element's border against the background around it."""
    return page.evaluate("(selector) => {" + _COLOUR_JS + """
        return [...document.querySelectorAll(selector)].filter(el => el.checkVisibility())
            .map(el => ratio(rgb(getComputedStyle(el).borderTopColor).slice(0, 3), background(el.parentElement)));
    }""", selector)
