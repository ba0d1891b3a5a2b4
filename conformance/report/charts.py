"""Charts of the report as inline SVG, drawn here (no JavaScript library, no remote asset).

Each function returns one `<svg>` element as Markup: outcomes per operation (stacked bars)
and response times per operation (mean and maximum).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "deviation": "#ef9f00",
    "noted": "#1565c0",
    "skipped": "#9e9e9e",
}
ORDER = ("failed", "deviation", "noted", "passed", "skipped")
LABEL_WIDTH = 230
BAR_WIDTH = 480
ROW = 22
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _svg(height: int, width: int, title: str, body: Iterable[str]) -> Markup:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        *body,
        "</svg>",
    ]
    return Markup("\n".join(parts))


def _label(y: float, text: str, full: str) -> str:
    return (
        f'<text x="{LABEL_WIDTH - 8}" y="{y}" text-anchor="end" {FONT} fill="#222">'
        f"<title>{escape(full)}</title>{escape(text)}</text>"
    )


def outcomes_per_operation(rows: list[tuple[str, str, dict[str, int]]]) -> Markup:
    """Stacked bars, one per operation: (short label, full label, outcome counts)."""
    height = ROW * len(rows) + 40
    width = LABEL_WIDTH + BAR_WIDTH + 130
    body = []
    for index, (short, full, counts) in enumerate(rows):
        y = 10 + index * ROW
        total = sum(counts.values()) or 1
        body.append(_label(y + 13, short, full))
        x = float(LABEL_WIDTH)
        for outcome in ORDER:
            count = counts.get(outcome, 0)
            if not count:
                continue
            width_of = max(BAR_WIDTH * count / total, 1.5)
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width_of:.1f}" height="{ROW - 6}" '
                f'fill="{COLOURS[outcome]}"><title>{escape(full)}: {count} {outcome}'
                "</title></rect>"
            )
            x += width_of
        failed = counts.get("failed", 0)
        summary = f"{failed} failed of {total}" if failed else f"{total} checks"
        body.append(
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 13}" {FONT} '
            f'fill="{COLOURS["failed"] if failed else "#444"}">{summary}</text>'
        )
    legend_y = 10 + len(rows) * ROW + 12
    x = LABEL_WIDTH
    for outcome in ORDER:
        body.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{COLOURS[outcome]}"/>'
            f'<text x="{x + 14}" y="{legend_y}" {FONT}>{outcome}</text>'
        )
        x += 90
    return _svg(height, width, "Check outcomes per operation", body)


def response_times(rows: list[tuple[str, str, dict[str, Any]]]) -> Markup:
    """Mean (dark) and maximum (light) response time per operation, in milliseconds:
    (short label, full label, {"mean_seconds", "max_seconds", "requests"})."""
    height = ROW * len(rows) + 40
    width = LABEL_WIDTH + BAR_WIDTH + 150
    longest = max((row[2].get("max_seconds", 0) for row in rows), default=0) or 1
    body = []
    for index, (short, full, seen) in enumerate(rows):
        y = 10 + index * ROW
        mean_ms, max_ms = seen.get("mean_seconds", 0) * 1000, seen.get("max_seconds", 0) * 1000
        body.append(_label(y + 13, short, full))
        max_width = max(BAR_WIDTH * seen.get("max_seconds", 0) / longest, 1)
        mean_width = max(BAR_WIDTH * seen.get("mean_seconds", 0) / longest, 1)
        requests = seen.get("requests", 0)
        tip = f"{full}: mean {mean_ms:.1f} ms, max {max_ms:.1f} ms, {requests} requests"
        body.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max_width:.1f}" height="{ROW - 6}" '
            f'fill="#b3cde3"><title>{escape(tip)}</title></rect>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{mean_width:.1f}" height="{ROW - 14}" '
            f'fill="#1f5f99"><title>{escape(tip)}</title></rect>'
        )
        body.append(
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 13}" {FONT} fill="#444">'
            f"{mean_ms:.1f} / {max_ms:.1f} ms</text>"
        )
    legend_y = 10 + len(rows) * ROW + 12
    body.append(
        f'<rect x="{LABEL_WIDTH}" y="{legend_y - 9}" width="10" height="10" fill="#1f5f99"/>'
        f'<text x="{LABEL_WIDTH + 14}" y="{legend_y}" {FONT}>mean</text>'
        f'<rect x="{LABEL_WIDTH + 70}" y="{legend_y - 9}" width="10" height="10" fill="#b3cde3"/>'
        f'<text x="{LABEL_WIDTH + 84}" y="{legend_y}" {FONT}>maximum (ms)</text>'
    )
    return _svg(height, width, "Response time per operation", body)
