"""The `hustings` command: one clear line and a non-zero exit for bad input, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hustings.cli.main import app
from tests.conftest import sample_message, scratch_database

runner = CliRunner()


def test_users_add_prints_the_token_as_the_last_line(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["users", "add", "sam", "--role", "moderator", "--role", "triage"], env=env)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("hus_") and len(token) > 40
    again = runner.invoke(app, ["users", "add", "sam", "--role", "moderator"], env=env)
    assert again.exit_code == 2
    assert "already exists" in again.stderr and "Traceback" not in again.output


def test_ingest_reports_bad_lines_by_number_and_stores_the_rest(env: dict[str, str], tmp_path: Path) -> None:
    lines = [
        json.dumps(sample_message("1")),
        "{not json",
        json.dumps(sample_message("2", created_at="soon")),
        "",
        json.dumps(sample_message("3")),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["ingest", str(source)], env=env)
    assert result.exit_code == 1
    assert "accepted 2, duplicates 0, rejected 2" in result.stdout
    assert "line 2: not valid JSON" in result.stderr
    assert "line 3: created_at" in result.stderr
    again = runner.invoke(app, ["ingest", "-"], input=lines[0] + "\n" + lines[4] + "\n", env=env)
    assert again.exit_code == 0
    assert "accepted 0, duplicates 2, rejected 0" in again.stdout


def test_a_missing_file_is_one_line(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ingest", "/nonexistent/file.jsonl"], env=env)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: /nonexistent/file.jsonl: no such file"


def test_demo_then_rebuild_status(env: dict[str, str]) -> None:
    first = runner.invoke(app, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "log in as 'admin'" in first.stdout
    second = runner.invoke(app, ["demo"], env=env)
    assert "0 new" in second.stdout
    rebuilt = runner.invoke(app, ["rebuild-status"], env=env)
    assert rebuilt.exit_code == 0 and "rebuilt statuses from" in rebuilt.stdout


def test_bad_settings_are_one_line(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["db", "upgrade"], env=env | {"HUSTINGS_ENVIRONMENT": "production"})
    assert result.exit_code == 2
    assert "HUSTINGS_SECRET_KEY" in result.stderr and "Traceback" not in result.output


@pytest.mark.postgres
def test_cli_against_postgresql(env: dict[str, str], postgres_url: str, tmp_path: Path) -> None:
    with scratch_database(postgres_url, "hustings_cli") as url:
        pg_env = env | {"HUSTINGS_DATABASE_URL": url}
        assert runner.invoke(app, ["db", "upgrade"], env=pg_env).exit_code == 0
        source = tmp_path / "in.jsonl"
        source.write_text(json.dumps(sample_message("1")) + "\n")
        result = runner.invoke(app, ["ingest", str(source)], env=pg_env)
        assert "accepted 1" in result.stdout, result.output
        assert "rebuilt statuses from 1 events" in runner.invoke(app, ["rebuild-status"], env=pg_env).stdout
