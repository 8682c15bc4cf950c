"""The report's published forms: JSON (the report's own `to_json`), CSV, and the figures a page shows."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hustings.transparency.report import TransparencyReport

CSV_COLUMNS = ("section", "key", "metric", "value")


def to_json_text(report: TransparencyReport) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n"


def _rows(report: dict[str, Any]) -> list[tuple[str, str, str, object]]:
    rows: list[tuple[str, str, str, object]] = [
        ("period", "", "from", report["period"]["from"]),
        ("period", "", "to", report["period"]["to"]),
    ]
    for metric in (
        "reports_received",
        "items_reported",
        "taken_down",
        "taken_down_share",
        "within_24h_share",
        "within_7d_share",
        "later_share",
    ):
        rows.append(("summary", "", metric, report[metric]))
    for metric, value in report["time_to_takedown_hours"].items():
        rows.append(("summary", "", f"time_to_takedown_hours_{metric}", value))
    for section in ("by_source", "by_reporter_kind", "time_to_takedown_distribution", "decisions_by_action"):
        for key, value in report[section].items():
            rows.append((section, key, "count", value))
    for section in ("by_category", "by_target_role"):
        for key, figures in report[section].items():
            for metric, value in figures.items():
                rows.append((section, key, metric, value))
    for section in ("appeals", "referrals_to_police"):
        for metric, value in report[section].items():
            rows.append((section, "", metric, value))
    response = report.get("platform_response")
    if response:
        for section, groups in (
            ("platform_response", {"": response}),
            ("platform_response_by_platform", response["by_platform"]),
            ("platform_response_by_quarter", response["by_quarter"]),
            ("platform_response_by_election", response["by_election"]),
        ):
            for key, figures in groups.items():
                for metric, value in figures.items():
                    if metric.startswith("by_") or metric == "as_of":
                        continue
                    if isinstance(value, dict):
                        rows.extend((section, key, f"{metric}_{part}", v) for part, v in value.items())
                    else:
                        rows.append((section, key, metric, value))
    for week in report["weekly_reports"]:
        for category, count in week["by_category"].items():
            rows.append(("weekly_reports", week["week_starting"], category, count))
    return rows


def to_csv_text(report: TransparencyReport) -> str:
    """Long format, one figure a row: section, key (e.g. the category), metric, value (blank for none)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for section, key, metric, value in _rows(report.to_json()):
        writer.writerow((section, key, metric, "" if value is None else value))
    return buffer.getvalue()
