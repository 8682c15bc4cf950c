"""The public report page in a real Chromium: readable without logging in, charts drawn, downloads work."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.transparency.conftest import seed_golden
from tests.transparency.logs import GOLDEN

pytestmark = pytest.mark.browser
EXPECTED = json.loads((GOLDEN / "2026-Q2.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("transparency")).start()
    services = live.services()
    seed_golden(services)
    services.session.close()
    yield live
    live.stop()


def test_anyone_reads_the_quarter_at_a_glance(page: Any, server: LiveServer) -> None:
    response = page.goto(server.url + "/transparency/2026-Q2")
    assert response.status == 200 and page.url.endswith("/transparency/2026-Q2")  # no login redirect
    assert page.get_by_role("heading", name="Transparency report: 2026-Q2").is_visible()
    assert page.locator('[data-figure="reports_received"]').inner_text() == str(EXPECTED["reports_received"])
    assert page.locator('[data-figure="taken_down_share"]').inner_text() == "57.1%"
    assert page.locator('[data-figure="median"]').inner_text() == "27.0 h"
    charts = page.get_by_role("img")
    assert charts.count() == 3
    histogram = page.locator("svg.chart").first
    assert histogram.bounding_box()["width"] > 200  # drawn, not collapsed
    assert "1 to 6 hours: 1" in histogram.locator("desc").text_content()


def test_the_csv_and_json_download_without_logging_in(page: Any, server: LiveServer, tmp_path: Path) -> None:
    page.goto(server.url + "/transparency/2026-Q2")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download JSON").click()
    saved = tmp_path / "report.json"
    download_info.value.save_as(saved)
    assert json.loads(saved.read_text(encoding="utf-8")) == EXPECTED
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    assert download_info.value.suggested_filename == "hustings-transparency-2026-Q2.csv"


def test_a_visitor_moves_between_quarters_and_picks_dates(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/transparency/2026-Q2")
    page.get_by_role("link", name="2026-Q3 →").click()
    assert page.get_by_role("heading", name="Transparency report: 2026-Q3").is_visible()
    page.get_by_label("From", exact=True).fill("2026-04-01")
    page.get_by_label("To", exact=True).fill("2026-04-30")
    page.get_by_role("button", name="Show period").click()
    assert page.get_by_role("heading", name="Transparency report: 2026-04").is_visible()
    assert page.locator('[data-figure="reports_received"]').inner_text() == "5"  # m6, m1, m2 twice, m3
