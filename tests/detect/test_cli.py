"""The `hustings score` contract: JSONL in, JSONL out in the same order, bad lines named on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hustings.cli.detect import register
from hustings.detect import LABELS

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Keep Typer in multi-command mode."""

    return app


GOOD = [
    {"id": "a", "text": "I am going to kill you"},
    {"id": 2, "text": "Thanks for coming to the school fair"},
    {"id": "c", "text": "Your policy on buses is a disgrace, resign"},
]


def test_scores_in_order_with_every_field(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in GOOD), encoding="utf-8")
    result = runner.invoke(make_app(), ["score", str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", 2, "c"]
    for row in rows:
        assert set(row) >= {"id", "labels", "flagged", "characteristic", "evidence", "model"}
        assert set(row["labels"]) == {label.value for label in LABELS}
        assert row["model"].startswith("hustings-intimidation@")
        for item in row["evidence"]:
            assert set(item) == {"label", "start", "end", "text", "reason"}
    assert "threat" in rows[0]["flagged"]
    assert rows[1]["flagged"] == []


def test_reads_standard_input() -> None:
    result = runner.invoke(make_app(), ["score", "-"], input=json.dumps(GOOD[1]) + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == 2


def test_bad_lines_are_named_and_do_not_stop_the_rest() -> None:
    lines = [
        json.dumps(GOOD[0]),
        "{not json",
        json.dumps({"id": "no-text"}),
        json.dumps({"text": "no id"}),
        json.dumps(["a", "list"]),
        "",
        json.dumps({"id": "x", "text": 5}),
        json.dumps(GOOD[2]),
    ]
    result = runner.invoke(make_app(), ["score", "-"], input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "c"]
    for number in (2, 3, 4, 5, 7):
        assert f"line {number}:" in result.stderr
    assert "line 6" not in result.stderr  # blank lines are skipped, not errors
    assert "Traceback" not in result.output


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(make_app(), ["score", str(tmp_path / "nope.jsonl")])
    assert result.exit_code != 0
    # The shared console may wrap a long path; compare with whitespace folded.
    assert "no such file" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def _flags(stdout: str) -> list[list[str]]:
    return [json.loads(line)["flagged"] for line in stdout.splitlines()]


def test_threshold_option_moves_the_operating_point_not_the_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUSTINGS_DETECT_THRESHOLDS", raising=False)
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in GOOD), encoding="utf-8")
    shipped = runner.invoke(make_app(), ["score", str(path)])
    raised = runner.invoke(
        make_app(), ["score", str(path), "--threshold", "threat=1", "--threshold", "abuse=1"]
    )
    assert shipped.exit_code == 0 and raised.exit_code == 0, raised.output
    assert "threat" in _flags(shipped.stdout)[0]
    assert _flags(raised.stdout) == [[], [], []]
    assert [json.loads(line)["labels"] for line in raised.stdout.splitlines()] == [
        json.loads(line)["labels"] for line in shipped.stdout.splitlines()
    ]


def test_thresholds_come_from_settings_and_the_option_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(GOOD[0]) + "\n", encoding="utf-8")
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", "threat=1.0")
    assert _flags(runner.invoke(make_app(), ["score", str(path)]).stdout) == [[]]
    overridden = runner.invoke(make_app(), ["score", str(path), "--threshold", "threat=0.5"])
    assert "threat" in _flags(overridden.stdout)[0]


def test_a_bad_threshold_is_named_and_nothing_is_scored(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(GOOD[0]) + "\n", encoding="utf-8")
    result = runner.invoke(make_app(), ["score", str(path), "--threshold", "abus=0.3"])
    assert result.exit_code == 2
    assert "--threshold abus=0.3: unknown label 'abus'" in result.output
    assert result.stdout.count("{") == 0
