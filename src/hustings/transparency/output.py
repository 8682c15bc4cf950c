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
    for section in ("by_category", "by_target_role", "by_target_nation", "by_message_nation"):
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
    for metric, value in report["dsa_harmonised"].items():
        if isinstance(value, dict):
            for key, count in value.items():
                rows.append(("dsa_harmonised", key, metric, count))
        else:
            rows.append(("dsa_harmonised", "", metric, value))
    return rows


DSA_TEMPLATE_COLUMNS = ("section", "indicator", "breakdown", "value")
"""The harmonised templates' sheets, one figure a row, as their CSV exports lay them out."""


def to_dsa_template_csv(report: TransparencyReport) -> str:
    """The figures the DSA harmonised reporting templates ask for that Hustings knows, by the
    templates' sections: notices (Art. 16), own-initiative moderation, complaints (Art. 20) and
    automated means (Art. 15(1)(e)). See docs/transparency.md for what each counts."""
    figures = report.dsa.to_json()
    rows: list[tuple[str, str, str, object]] = [
        ("reporting_period", "start_date", "", report.period.start.isoformat()),
        ("reporting_period", "end_date", "", report.period.last.isoformat()),
        ("notices", "number_of_notices", "total", figures["notices_received"]),
    ]
    for source, count in report.by_source.items():
        if source != "automated":
            rows.append(("notices", "number_of_notices", source, count))
    rows.append(
        (
            "notices",
            "notices_processed_by_automated_means",
            "total",
            figures["notices_processed_by_automated_means"],
        )
    )
    for method, count in figures["own_initiative_decisions_by_detection"].items():
        rows.append(("own_initiative", "decisions_by_detection_method", method, count))
    for kind, count in figures["own_initiative_decisions_by_restriction"].items():
        rows.append(("own_initiative", "decisions_by_type_of_restriction", kind, count))
    rows += [
        ("complaints", "number_of_complaints_received", "total", report.appeals_filed),
        ("complaints", "complaints_decided", "total", figures["appeals_decided"]),
        ("complaints", "complaints_decision_reversed", "total", report.appeals_reversed),
        ("complaints", "median_time_to_decide_hours", "total", figures["median_hours_to_decide_appeal"]),
        ("automated_means", "automated_flags_decided", "total", figures["automated_flags_decided"]),
        ("automated_means", "automated_flags_upheld", "total", figures["automated_flags_upheld"]),
        ("automated_means", "accuracy_share_upheld", "total", figures["automated_flags_upheld_share"]),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DSA_TEMPLATE_COLUMNS)
    for row in rows:
        writer.writerow((*row[:3], "" if row[3] is None else row[3]))
    return buffer.getvalue()


def to_csv_text(report: TransparencyReport) -> str:
    """Long format, one figure a row: section, key (e.g. the category), metric, value (blank for none)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for section, key, metric, value in _rows(report.to_json()):
        writer.writerow((section, key, metric, "" if value is None else value))
    return buffer.getvalue()
