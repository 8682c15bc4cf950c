"""`hustings transparency` and `hustings dsa-export` on a database holding the golden log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hustings.cli.common import unit_of_work
from hustings.cli.main import app
from hustings.settings import Settings
from tests.transparency.conftest import seed_golden
from tests.transparency.logs import GOLDEN

runner = CliRunner()


@pytest.fixture
def env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The shared CLI environment, its database seeded with the golden report's log."""
    values = env
    settings = Settings(data_dir=tmp_path / "data", assess_on_ingest=False)
    with unit_of_work(settings) as services:
        seed_golden(services)
    return values


def test_json_csv_and_html_for_a_period(env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["transparency", "--from", "2026-04-01", "--to", "2026-06-30", "--format", "json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads((GOLDEN / "2026-Q2.json").read_text(encoding="utf-8"))
    result = runner.invoke(app, ["transparency", "--period", "2026-Q2", "--format", "csv"], env=env)
    assert result.stdout.splitlines()[0] == "section,key,metric,value"
    assert "summary,,reports_received,9" in result.stdout.splitlines()
    result = runner.invoke(app, ["transparency", "--period", "2026-Q2", "--format", "dsa-csv"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "section,indicator,breakdown,value"
    assert "notices,number_of_notices,total,7" in lines
    assert "own_initiative,decisions_by_type_of_restriction,account,1" in lines
    assert "complaints,median_time_to_decide_hours,total,48.0" in lines
    assert "automated_means,accuracy_share_upheld,total,1.0" in lines
    page = tmp_path / "report.html"
    result = runner.invoke(
        app, ["transparency", "--period", "2026-Q2", "--format", "html", "-o", str(page)], env=env
    )
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and html.count('<svg class="chart"') == 3 and "<link" not in html


def test_bad_input_is_one_line_and_a_non_zero_exit(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["transparency", "--format", "xml"], env=env)
    assert result.exit_code == 2 and "--format" in result.stderr and "Traceback" not in result.output
    result = runner.invoke(app, ["transparency", "--from", "2026-13-01"], env=env)
    assert result.exit_code == 2 and "from:" in result.stderr


def test_dsa_export_refuses_the_golden_logs_empty_statements(env: dict[str, str]) -> None:
    # The golden log's decisions carry empty statements: an export must refuse them, by decision.
    result = runner.invoke(app, ["dsa-export"], env=env)
    assert result.exit_code == 2
    assert "decision d1 on message m1: statement: missing" in result.stderr
    lenient = runner.invoke(app, ["dsa-export", "--skip-invalid"], env=env)
    assert lenient.exit_code == 1 and lenient.stdout == ""
    # Eight restricting decisions and one appeal reversed to `remove`, each without a statement.
    assert "1 no_action decision(s)" in lenient.stderr and lenient.stderr.count("refused:") == 9
    assert "refused: appeal ap3 on message m3: statement: missing" in lenient.stderr
