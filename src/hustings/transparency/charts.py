"""Charts for the public report, drawn as inline SVG on the server: no JavaScript, no CDN.

Every label is escaped here (category names come from reports), so the markup returned is safe
to place in a page as is. Each chart has a title and a description for screen readers, and the
page shows the same numbers as a table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup, escape

# Colour-blind-safe (Okabe-Ito), in a fixed order so a category keeps its colour across charts.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def colour_for(categories: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[index % len(PALETTE)] for index, name in enumerate(sorted(categories))}


def _svg(width: int, height: int, title: str, description: str, body: str) -> Markup:
    slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower())
    return Markup(  # noqa: S704 - every interpolated label is escaped above or is a number we formatted
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{slug}-t {slug}-d" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{slug}-t">{escape(title)}</title>'
        f'<desc id="{slug}-d">{escape(description)}</desc>{body}</svg>'
    )


def histogram(buckets: Sequence[tuple[str, int]], *, title: str = "Time to takedown") -> Markup:
    """Vertical bars: how many items were taken down within each span of time."""
    width, height, left, bottom, top = 640, 260, 40, 50, 20
    plot_h = height - bottom - top
    peak = max((count for _, count in buckets), default=0) or 1
    slot = (width - left - 10) / max(len(buckets), 1)
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" class="axis"/>'
    ]
    for index, (name, count) in enumerate(buckets):
        bar_h = plot_h * count / peak
        x = left + index * slot + slot * 0.15
        y = height - bottom - bar_h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(name)}: {count}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">{count}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="label">'
            f"{escape(name)}</text>"
        )
    description = "; ".join(f"{name}: {count}" for name, count in buckets)
    return _svg(
        width, height, title, f"Items taken down, by time from first report: {description}", "".join(parts)
    )


def weekly_stacked(
    weeks: Sequence[tuple[date, Mapping[str, int]]],
    colours: Mapping[str, str],
    *,
    title: str = "Reports by week",
    unit: str = "week",
) -> Markup:
    """Stacked bars: reports received each week (or each `unit`, as the dates are), split by category."""
    prefix = "week of " if unit == "week" else ""
    width, height, left, bottom, top = 640, 260, 40, 40, 20
    plot_h = height - bottom - top
    peak = max((sum(counts.values()) for _, counts in weeks), default=0) or 1
    slot = (width - left - 10) / max(len(weeks), 1)
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" class="axis"/>'
    ]
    for index, (week, counts) in enumerate(weeks):
        x = left + index * slot + slot * 0.1
        y = float(height - bottom)
        for name in sorted(counts):
            bar_h = plot_h * counts[name] / peak
            y -= bar_h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{bar_h:.1f}" '
                f'fill="{colours.get(name, PALETTE[-1])}"><title>{prefix}{week:%-d %b}: {escape(name)} {counts[name]}'
                "</title></rect>"
            )
        total = sum(counts.values())
        if total:
            parts.append(
                f'<text x="{x + slot * 0.4:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">{total}</text>'
            )
        if index % max(1, len(weeks) // 7) == 0:
            parts.append(
                f'<text x="{x + slot * 0.4:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="label">'
                f"{week:%-d %b}</text>"
            )
    description = "; ".join(f"{prefix}{week:%-d %b %Y}: {sum(counts.values())}" for week, counts in weeks)
    return _svg(width, height, title, f"Reports received per {unit}: {description}", "".join(parts))


def horizontal_bars(values: Mapping[str, int], colours: Mapping[str, str], *, title: str) -> Markup:
    """One bar per name, longest first: e.g. reports by category."""
    rows = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    row_h, left, width = 28, 150, 640
    height = max(len(rows), 1) * row_h + 10
    peak = max(values.values(), default=0) or 1
    parts = []
    for index, (name, count) in enumerate(rows):
        y = 5 + index * row_h
        bar_w = (width - left - 60) * count / peak
        parts.append(
            f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" class="label">{escape(name)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{bar_w:.1f}" height="{row_h - 10}" '
            f'fill="{colours.get(name, PALETTE[-1])}"><title>{escape(name)}: {count}</title></rect>'
            f'<text x="{left + bar_w + 6:.1f}" y="{y + 18}" class="value">{count}</text>'
        )
    description = "; ".join(f"{name}: {count}" for name, count in rows) or "none"
    return _svg(width, height, title, description, "".join(parts))
