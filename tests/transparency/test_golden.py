"""The report on a fixed event log equals the golden file a reviewer checked by hand (README.md)."""

from __future__ import annotations

import json

from hustings.transparency.period import parse_period
from hustings.transparency.report import compute_report
from tests.transparency.logs import GOLDEN, load_log, load_roles, place_labels


def test_the_golden_quarter_matches_the_file_worked_out_by_hand() -> None:
    report = compute_report(
        load_log(GOLDEN / "log.jsonl"), load_roles(), parse_period("2026-Q2"), place_labels()
    )
    expected = json.loads((GOLDEN / "2026-Q2.json").read_text(encoding="utf-8"))
    assert report.to_json() == expected


def test_the_report_has_the_fields_the_issue_names() -> None:
    report = compute_report(
        load_log(GOLDEN / "log.jsonl"), load_roles(), parse_period("2026-Q2"), place_labels()
    ).to_json()
    for key in (
        "period",
        "reports_received",
        "by_source",
        "taken_down_share",
        "within_24h_share",
        "within_7d_share",
        "by_category",
    ):
        assert key in report
    assert set(report["time_to_takedown_hours"]) >= {"median", "p90"}
    assert set(report["by_source"]) == {"user_notice", "trusted_flagger", "automated"}


def test_the_log_order_on_disk_does_not_change_the_report() -> None:
    events = load_log(GOLDEN / "log.jsonl")
    roles = load_roles()
    period = parse_period("2026-Q2")
    assert (
        compute_report(list(reversed(events)), roles, period).to_json()
        == compute_report(events, roles, period).to_json()
    )


def test_a_later_quarter_sees_the_takedown_that_came_after_the_first_one_ended() -> None:
    events = load_log(GOLDEN / "log.jsonl")
    q3 = compute_report(events, load_roles(), parse_period("2026-Q3")).to_json()
    # m7 was reported in Q2, so it is not in Q3's cohort, but its removal on 1 July is a Q3 decision.
    assert q3["items_reported"] == 0 and q3["reports_received"] == 0
    assert q3["decisions_by_action"] == {"remove": 1}
