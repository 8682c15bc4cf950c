"""What the report page and the standalone HTML file show: figures, charts and formatting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from hustings import wording
from hustings.transparency.charts import colour_for, histogram, horizontal_bars, weekly_stacked
from hustings.transparency.report import TransparencyReport


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def hours(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def report_context(report: TransparencyReport) -> dict[str, Any]:
    """The template context for `transparency/_report.html`."""
    data = report.to_json()
    categories = sorted(set(report.by_category) | {c for _, week in report.weekly for c in week})
    colours = colour_for(categories)
    return {
        "report": report,
        "data": data,
        "colours": colours,
        "charts": {
            "histogram": histogram(report.distribution),
            "weekly": weekly_stacked(report.weekly, colours),
            "categories": horizontal_bars(
                {name: b.reports_received for name, b in report.by_category.items()},
                colours,
                title="Reports by category",
            ),
        },
        "pct": pct,
        "hours": hours,
    }


def render_standalone(report: TransparencyReport, templates: Path, css: Path) -> str:
    """A self-contained HTML file of the report (styles inline, charts inline SVG)."""
    environment = Environment(
        loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(default=True)
    )
    environment.filters.update(wording.FILTERS)
    template = environment.get_template("transparency/standalone.html")
    # Our own stylesheet, not user input: it goes in unescaped so its selectors survive.
    style = Markup(css.read_text(encoding="utf-8"))  # noqa: S704
    return template.render(**report_context(report), css=style)
