"""Charts drawn on the server as inline SVG: no script, no CDN, allowed by the strict CSP.

A chart is always shown beside (or above) a table of the same numbers, so the SVG is a picture
for the eye (``role="img"`` with a title); screen readers and exports use the table.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Colours with at least 3:1 contrast against white, told apart by position and label, not hue alone.
PALETTE = ("#1f5fa8", "#b3541e", "#2e7d32", "#6a3d9a", "#8a6d00", "#00707a", "#a3245b", "#4d4d4d")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""  # shown after the value instead of the formatted value, e.g. "¥1,200 (40 %)"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def bar_chart(title: str, bars: Sequence[Bar], *, value_text: Callable[[float], str] = _number,
              width: int = 640, bar_height: int = 26, label_width: int = 220) -> Markup:
    """Horizontal bars, one per item, scaled to the largest value; labels at the left.

    The SVG scales to its container (``viewBox``) so it never makes a phone page scroll sideways.
    """
    gap = 8
    top = 8
    height = top + max(len(bars), 1) * (bar_height + gap)
    largest = max((b.value for b in bars), default=0) or 1
    plot = width - label_width - 150
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for index, bar in enumerate(bars):
        y = top + index * (bar_height + gap)
        length = max(0.0, bar.value) / largest * plot
        colour = PALETTE[index % len(PALETTE)]
        label = bar.label if len(bar.label) <= 18 else bar.label[:17] + "…"
        parts.append(f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" '
                     f'font-size="14">{escape(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                     f'fill="{colour}"><title>{escape(bar.label)}: {escape(bar.note or value_text(bar.value))}'
                     f"</title></rect>")
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + bar_height * 0.7:.1f}" '
                     f'font-size="14">{escape(bar.note or value_text(bar.value))}</text>')
    parts.append("</svg>")
    # Every label and value above went through escape(); the rest is fixed markup.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
