"""`hustings dsa-export --submit` against a local stand-in of the Transparency Database that
applies its rules, refuses a puid it holds, and fails with a 503 in the middle."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from hustings.auth.model import Role
from hustings.cli.common import unit_of_work
from hustings.cli.main import app
from hustings.detect.assessment import Label
from hustings.errors import SubmissionFailed
from hustings.moderation.decisions import DecisionRequest, decide
from hustings.moderation.events import Action
from hustings.moderation.reports import file_automated_reports
from hustings.settings import Settings
from hustings.transparency.submit import Outcome, TransparencyDatabase, submit
from tests.moderation.conftest import assessed_event, assessment, ingested_event, person
from tests.transparency.dsa_database import running_database
from tests.transparency.test_dsa import statement

TOKEN = "s3cret-platform-token"
runner = CliRunner()


def _statements(count: int) -> list[dict[str, object]]:
    return [statement(Action.REMOVE, f"d{n}-m_{n}") for n in range(count)]


def test_batches_of_100_survive_a_503_and_count_what_the_database_already_holds() -> None:
    with running_database(TOKEN) as (url, db):
        db.fail_calls = {2: 503}  # the second batch fails once, then goes through
        held = _statements(250)
        db.held[str(held[120]["puid"])] = held[120]  # sent earlier, by a run whose record was lost
        recorded: list[Outcome] = []
        steps: list[tuple[int, int]] = []
        client = TransparencyDatabase(url, SecretStr(TOKEN), sleep=lambda seconds: None)
        report = submit(
            client,
            held,
            recorded={"d0-m_0"},
            record=recorded.extend,
            progress=lambda done, total: steps.append((done, total)),
        )
        client.close()
    assert report.recorded_before == 1
    assert report.count("accepted") == 248 and report.count("already_held") == 1
    # d0 was recorded as accepted before, so it is not sent again.
    assert len(recorded) == 249 and set(db.held) == {str(s["puid"]) for s in held[1:]}
    assert steps == [(0, 249), (100, 249), (200, 249), (249, 249)]
    # The 503 was retried; the batch holding the already-held puid was refused whole, then sent singly.
    assert ("/api/v1/statements", 503) in db.calls
    assert db.calls.count(("/api/v1/statement", 201)) == 99
    assert ("/api/v1/statement", 422) in db.calls


def test_a_statement_the_database_refuses_is_reported_with_its_reasons() -> None:
    bad = statement(Action.HIDE, "d1-m_1") | {"content_language": "XX"}
    with running_database(TOKEN) as (url, _db):
        client = TransparencyDatabase(url, SecretStr(TOKEN), sleep=lambda seconds: None)
        report = submit(client, [bad], recorded=set(), record=lambda outcomes: None)
        client.close()
    (outcome,) = report.outcomes
    assert outcome.result == "refused" and "content_language" in outcome.detail


def test_a_database_that_stays_down_is_a_clear_failure_naming_no_secret() -> None:
    with running_database(TOKEN) as (url, db):
        db.fail_calls = dict.fromkeys(range(1, 10), 503)
        client = TransparencyDatabase(url, SecretStr(TOKEN), attempts=3, sleep=lambda seconds: None)
        with pytest.raises(SubmissionFailed) as raised:
            submit(client, _statements(1), recorded=set(), record=lambda outcomes: None)
        client.close()
    assert "3 attempts" in str(raised.value) and "503" in str(raised.value)
    assert TOKEN not in str(raised.value)


@pytest.fixture
def decided_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A database holding five removals, each of a message the detector reported."""
    settings = Settings(data_dir=tmp_path / "data", assess_on_ingest=False)
    moderator = person("sam", Role.MODERATOR)
    with unit_of_work(settings) as services:
        for n in range(5):
            message_id = "m_" + f"{n:032x}"
            event = ingested_event(message_id)
            services.log.append(replace(event, payload={**event.payload, "lang": "cy"}))
            flagged = assessment(Label.THREAT)
            services.log.append(assessed_event(message_id, flagged))
            file_automated_reports(services.log, services.clock, {message_id: flagged})
            decide(
                services.log,
                services.clock,
                moderator=moderator,
                request=DecisionRequest(message_id=message_id, action=Action.REMOVE, policy_rule="T1"),
            )
    return env


def test_the_command_submits_records_and_sends_nothing_twice(decided_env: dict[str, str]) -> None:
    with running_database(TOKEN) as (url, db):
        db.fail_calls = {2: 503}
        env = decided_env | {"HUSTINGS_DSA_API_URL": url, "HUSTINGS_DSA_API_TOKEN": TOKEN}
        first = runner.invoke(app, ["dsa-export", "--submit", "--batch-size", "2"], env=env)
        assert first.exit_code == 0, first.output
        assert "submitted 4/5" in first.stderr and "5 accepted" in first.stderr
        assert len(db.held) == 5 and {s["content_language"] for s in db.held.values()} == {"CY"}
        calls = len(db.calls)
        again = runner.invoke(app, ["dsa-export", "--submit"], env=env)
        assert again.exit_code == 0, again.output
        assert "5 accepted before (not sent)" in again.stderr and len(db.calls) == calls
    assert TOKEN not in first.output + again.output


def test_submit_without_the_database_configured_says_what_is_missing(decided_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["dsa-export", "--submit"], env=decided_env)
    assert result.exit_code != 0 and "HUSTINGS_DSA_API_URL" in result.stderr
    assert "Traceback" not in result.output
    assert "5 statement(s) exported" in result.stderr
