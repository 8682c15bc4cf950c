"""The public report over HTTP, on SQLite and PostgreSQL: no login, and the same figures as the golden file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from hustings.events import Event
from hustings.services import Services
from tests.transparency.logs import GOLDEN

EXPECTED = json.loads((GOLDEN / "2026-Q2.json").read_text(encoding="utf-8"))


def test_the_api_gives_the_golden_figures_from_the_database_without_login(
    client: TestClient, golden_db: list[Event]
) -> None:
    response = client.get("/v1/transparency", params={"period": "2026-Q2"})
    assert response.status_code == 200
    assert response.json() == EXPECTED
    by_dates = client.get("/v1/transparency", params={"from": "2026-04-01", "to": "2026-06-30"})
    assert by_dates.json() == EXPECTED


def test_the_public_page_needs_no_login_and_offers_csv_and_json(
    client: TestClient, golden_db: list[Event]
) -> None:
    page = client.get("/transparency/2026-Q2", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Transparency report: 2026-Q2" in page.text
    assert page.text.count('<svg class="chart"') == 3 and 'role="img"' in page.text
    assert (
        "/transparency/2026-Q2?format=csv" in page.text and "/transparency/2026-Q2?format=json" in page.text
    )

    as_json = client.get("/transparency/2026-Q2", params={"format": "json"})
    assert as_json.status_code == 200 and "attachment" in as_json.headers["content-disposition"]
    assert as_json.json() == EXPECTED

    as_csv = client.get("/transparency/2026-Q2", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    summary = {row["metric"]: row["value"] for row in rows if row["section"] == "summary"}
    assert summary["reports_received"] == str(EXPECTED["reports_received"])
    assert summary["time_to_takedown_hours_median"] == str(EXPECTED["time_to_takedown_hours"]["median"])
    threat = {
        row["metric"]: row["value"]
        for row in rows
        if row["section"] == "by_category" and row["key"] == "threat"
    }
    assert threat["taken_down"] == str(EXPECTED["by_category"]["threat"]["taken_down"])


def test_the_default_page_is_the_current_quarter(client: TestClient, golden_db: list[Event]) -> None:
    page = client.get("/transparency", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Transparency report: 2026-Q2" in page.text  # the test clock stands on 7 May 2026


def test_a_bad_period_names_the_field(client: TestClient) -> None:
    response = client.get("/v1/transparency", params={"period": "2026-Q5"})
    assert response.status_code == 422 and "period" in response.json()["detail"]
    backwards = client.get("/v1/transparency", params={"from": "2026-06-01", "to": "2026-05-01"})
    assert backwards.status_code == 422 and "to:" in backwards.json()["detail"]


def test_category_names_from_reports_are_escaped_in_the_charts(
    client: TestClient, golden_db: list[Event], services: object
) -> None:

    assert isinstance(services, Services)
    services.log.append(
        Event(
            kind="report.filed",
            subject_type="message",
            subject_id="m_x",
            actor="user:u",
            occurred_at=datetime(2026, 5, 5, tzinfo=UTC),
            idempotency_key="escape-test",
            payload={"reporter_kind": "user", "category": "<script>alert(1)</script>"},
        )
    )
    services.session.commit()
    page = client.get("/transparency/2026-Q2", headers={"accept": "text/html"}).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_a_new_event_in_the_log_shows_in_the_next_report(
    client: TestClient, golden_db: list[Event], services: Services
) -> None:
    before = client.get("/v1/transparency", params={"period": "2026-Q2"}).json()
    services.log.append(
        Event(
            kind="report.filed",
            subject_type="message",
            subject_id="m_new",
            actor="user:u",
            occurred_at=datetime(2026, 6, 1, tzinfo=UTC),
            idempotency_key="cache-test",
            payload={"reporter_kind": "trusted_flagger", "category": "threat"},
        )
    )
    services.session.commit()
    after = client.get("/v1/transparency", params={"period": "2026-Q2"}).json()
    assert after["reports_received"] == before["reports_received"] + 1
    assert after["by_source"]["trusted_flagger"] == before["by_source"]["trusted_flagger"] + 1
