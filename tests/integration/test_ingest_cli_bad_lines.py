"""`hustings ingest` with lines no JSON reader can take: each is named by number, never a
traceback, and every good line is stored, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hustings.cli.main import app
from tests.conftest import sample_message, scratch_database

runner = CliRunner()

BAD_LINES = {
    2: b'{"source": "x", "text": "caf\xe9 \xff"}',  # Latin-1, not UTF-8
    3: b"[" * 10_000 + b"]" * 10_000,  # nesting deeper than any JSON reader recurses
    4: b"1" * 5_000,  # an integer with more digits than Python converts
    5: json.dumps(sample_message("nul", text="a\x00b")).encode(),
    6: json.dumps(sample_message("epoch", created_at=1715000000)).encode(),
}


def _file(tmp_path: Path) -> Path:
    lines = [
        json.dumps(sample_message("1")).encode(),
        *BAD_LINES.values(),
        json.dumps(sample_message("2")).encode(),
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    return source


def _check(result: Result) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a clean exit, not a crash
    result_stdout, result_stderr = result.stdout, result.stderr
    assert "accepted 2, duplicates 0, rejected 5" in result_stdout, result_stdout + result_stderr
    named = {
        int(line.split(":")[0].removeprefix("line ")): line for line in result_stderr.splitlines() if line
    }
    assert set(named) == set(BAD_LINES), result_stderr
    assert "not UTF-8" in named[2]
    assert "nested too deeply" in named[3]
    assert "not valid JSON" in named[4]
    assert "text:" in named[5] and "NUL" in named[5]
    assert "created_at:" in named[6] and "ISO 8601" in named[6]


def test_bad_lines_from_a_file_are_named_and_the_good_ones_stored(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["ingest", str(_file(tmp_path))], env=env)
    _check(result)


def test_bad_lines_from_standard_input_are_named_and_the_good_ones_stored(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["ingest", "-"], input=_file(tmp_path).read_bytes(), env=env)
    _check(result)


@pytest.mark.postgres
def test_bad_lines_on_postgresql(env: dict[str, str], postgres_url: str, tmp_path: Path) -> None:
    with scratch_database(postgres_url, "hustings_cli_bad_lines") as url:
        pg_env = env | {"HUSTINGS_DATABASE_URL": url}
        result = runner.invoke(app, ["ingest", str(_file(tmp_path))], env=pg_env)
        _check(result)


def test_hustings_score_names_the_same_bad_lines_and_scores_the_rest(tmp_path: Path) -> None:
    good = json.dumps({"id": "a", "text": "Thanks for coming to the school fair"}).encode()
    source = tmp_path / "score.jsonl"
    source.write_bytes(b"\n".join([good, BAD_LINES[2], BAD_LINES[3], BAD_LINES[4], good]) + b"\n")
    for arguments, given in ((["score", str(source)], None), (["score", "-"], source.read_bytes())):
        result = runner.invoke(app, arguments, input=given)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "a"]
        assert "line 2: not UTF-8" in result.stderr
        assert "line 3: not valid JSON here: nested too deeply" in result.stderr
        assert "line 4: not valid JSON here" in result.stderr
