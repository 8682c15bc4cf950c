"""Readable golden cases (golden/*.jsonl): UK political threats, hostility, and what to leave alone.

Each line is {"category", "expect": [labels], "text"} and optionally "characteristic".
The test checks the issue's UK goals over the file and lists every case that
disagrees, so a reviewer sees exactly which sentences the model gets wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hustings.detect import Label, OnnxDetector
from tests.detect.cases import read_cases

GOLDEN = Path(__file__).parent / "golden"
BENIGN = {"criticism", "support", "counter_speech", "news", "negation", "reclaimed", "neutral_identity",
          "public_info"}  # fmt: skip


def cases() -> list[dict[str, Any]]:
    return [row for path in sorted(GOLDEN.glob("*.jsonl")) for row in read_cases(path)]


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


# Issue 3's goals for UK political cases, and the floor the shipped model is held to. The floor
# is what the shipped model measured on this file less one case (docs/model-card.md reports it
# beside the goal; model 2.1.0: threats 25/25, hostile 53/56, benign flagged 2/48); a change that
# scores below it is a regression. Raise the floors as the model improves.
THREAT_RECALL = {"goal": 0.90, "floor": 0.96}
HOSTILE_RECALL = {"goal": 0.85, "floor": 0.92}
BENIGN_FLAGGED = {"goal": 0.05, "ceiling": 0.065}


def test_threat_recall(scored: list[tuple[dict[str, Any], tuple[Label, ...]]]) -> None:
    threats = [(r, f) for r, f in scored if "threat" in r["expect"]]
    misses = [(r, f) for r, f in threats if Label.THREAT not in f]
    recall = 1 - len(misses) / len(threats)
    assert recall >= THREAT_RECALL["floor"], f"threat recall {recall:.2f} (goal {THREAT_RECALL['goal']}):\n" + _report(
        misses
    )


def test_hostile_recall(scored: list[tuple[dict[str, Any], tuple[Label, ...]]]) -> None:
    hostile = [(r, f) for r, f in scored if r["expect"]]
    misses = [(r, f) for r, f in hostile if not f]
    recall = 1 - len(misses) / len(hostile)
    assert recall >= HOSTILE_RECALL["floor"], f"hostile recall {recall:.2f} (goal {HOSTILE_RECALL['goal']}):\n" + _report(
        misses
    )


def test_criticism_support_counter_speech_and_news_left_alone(
    scored: list[tuple[dict[str, Any], tuple[Label, ...]]],
) -> None:
    benign = [(r, f) for r, f in scored if r["category"] in BENIGN]
    flagged = [(r, f) for r, f in benign if f]
    rate = len(flagged) / len(benign)
    assert rate <= BENIGN_FLAGGED["ceiling"], f"benign flagged {rate:.2f} (goal {BENIGN_FLAGGED['goal']}):\n" + _report(
        flagged
    )


def test_every_flag_is_explained(scored: list[tuple[dict[str, Any], tuple[Label, ...]]], detector: OnnxDetector) -> None:
    rows = [r for r, f in scored if f]
    for row, assessment in zip(rows, detector.assess([r["text"] for r in rows]), strict=True):
        assert {e.label for e in assessment.evidence} == set(assessment.flagged), row["where"]
        for item in assessment.evidence:
            assert row["text"][item.start : item.end] == item.text
