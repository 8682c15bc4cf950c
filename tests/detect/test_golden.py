"""Readable golden cases (golden/*.jsonl): UK political threats, hostility, and what to leave alone.

Each line is {"category", "expect": [labels], "text"} and optionally "characteristic".
The test checks the issue's UK goals over the file and lists every case that
disagrees, so a reviewer sees exactly which sentences the model gets wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hustings.detect import Label, OnnxDetector

GOLDEN = Path(__file__).parent / "golden"
BENIGN = {"criticism", "support", "counter_speech", "news", "negation", "reclaimed", "neutral_identity",
          "public_info"}  # fmt: skip


def cases() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(GOLDEN.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                row = json.loads(line)
                row["where"] = f"{path.name}:{number}"
                rows.append(row)
    return rows


@pytest.fixture(scope="module")
def scored(detector: OnnxDetector) -> list[tuple[dict[str, Any], tuple[Label, ...]]]:
    rows = cases()
    return [(row, a.flagged) for row, a in zip(rows, detector.assess([r["text"] for r in rows]), strict=True)]


def test_golden_file_is_well_formed() -> None:
    rows = cases()
    assert len(rows) >= 100
    for row in rows:
        assert row["category"] in BENIGN or row["expect"], row["where"]
        assert all(Label(label) for label in row["expect"])


def _report(misses: list[tuple[dict[str, Any], tuple[Label, ...]]]) -> str:
    return "\n".join(f"{r['where']} [{r['category']}] got {[f.value for f in f]}: {r['text']}" for r, f in misses)


def test_threat_recall(scored: list[tuple[dict[str, Any], tuple[Label, ...]]]) -> None:
    threats = [(r, f) for r, f in scored if "threat" in r["expect"]]
    misses = [(r, f) for r, f in threats if Label.THREAT not in f]
    # Goal in issue 3: at least 90% of UK political threats flagged as threat.
    assert len(misses) <= 0.10 * len(threats), _report(misses)


def test_hostile_recall(scored: list[tuple[dict[str, Any], tuple[Label, ...]]]) -> None:
    hostile = [(r, f) for r, f in scored if r["expect"]]
    misses = [(r, f) for r, f in hostile if not f]
    # Goal: at least 85% of hostile messages flagged with some label.
    assert len(misses) <= 0.15 * len(hostile), _report(misses)


def test_criticism_support_counter_speech_and_news_left_alone(
    scored: list[tuple[dict[str, Any], tuple[Label, ...]]],
) -> None:
    benign = [(r, f) for r, f in scored if r["category"] in BENIGN]
    flagged = [(r, f) for r, f in benign if f]
    # Goal: at most 5% of criticism, support, counter-speech and news flagged.
    assert len(flagged) <= 0.05 * len(benign), _report(flagged)
