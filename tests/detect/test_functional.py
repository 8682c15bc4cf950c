"""Functional tests of the detector: one capability per functionality (functional/cases.jsonl).

Each line is {"functionality", "expect": [labels], "text"} and optionally "characteristic".
The cases were written by hand for this file, in phrasings unlike the training templates in
training/functional.py, so they measure whether a capability generalises (hate against its
negation, counter-speech, reclaimed terms, benign profanity, abuse of objects, and so on).

A case that expects nothing is right when no label at all is flagged; a hateful case when
"identity_hate" is flagged; `abuse_person` when any label is flagged; `threat_group` when
"threat" or "identity_hate" is flagged.
`functional_report(detector)` does the scoring so a script can print it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hustings.detect import Detector, Label
from tests.detect.cases import read_cases

CASES = Path(__file__).parent / "functional" / "cases.jsonl"
MIN_CASES = 12

# The shipped model's figures (docs/model-card.md; 2.1.0: 0.897 overall, lowest functionality
# 11/16), less a case's worth: a change below them is a regression.
FLOOR_OVERALL = 0.88
FLOOR_MIN = 0.62


def cases() -> list[dict[str, Any]]:
    return read_cases(CASES)


def is_right(row: dict[str, Any], flagged: Sequence[str]) -> bool:
    functionality = row["functionality"]
    if functionality == "abuse_person":
        return bool(flagged)
    if functionality == "threat_group":
        return Label.THREAT in flagged or Label.IDENTITY_HATE in flagged
    if not row["expect"]:
        # What must be left alone is left alone by every label, not just identity hate.
        return not flagged
    return (Label.IDENTITY_HATE in flagged) == (Label.IDENTITY_HATE in row["expect"])


def functional_report(detector: Detector) -> dict[str, Any]:
    """Score every case: {"overall", "by_functionality": {name: {"n", "right", "accuracy"}}, "failures"}."""
    rows = cases()
    assessments = detector.assess([row["text"] for row in rows])
    by: dict[str, dict[str, Any]] = {}
    failures: list[dict[str, Any]] = []
    right_total = 0
    for row, assessment in zip(rows, assessments, strict=True):
        flagged = [label.value for label in assessment.flagged]
        entry = by.setdefault(row["functionality"], {"n": 0, "right": 0})
        entry["n"] += 1
        if is_right(row, flagged):
            entry["right"] += 1
            right_total += 1
        else:
            failures.append({"where": row["where"], "functionality": row["functionality"], "expect": row["expect"],
                             "flagged": flagged, "text": row["text"]})  # fmt: skip
    for entry in by.values():
        entry["accuracy"] = entry["right"] / entry["n"]
    return {
        "overall": right_total / len(rows) if rows else 0.0,
        "n": len(rows),
        "by_functionality": dict(sorted(by.items())),
        "failures": failures,
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [f"{'functionality':<22}{'n':>4}{'right':>7}{'accuracy':>10}"]
    for name, entry in report["by_functionality"].items():
        lines.append(f"{name:<22}{entry['n']:>4}{entry['right']:>7}{entry['accuracy']:>10.2f}")
    lines.append(f"{'overall':<22}{report['n']:>4}{'':>7}{report['overall']:>10.2f}")
    return "\n".join(lines)


def _failures(report: dict[str, Any]) -> str:
    return "\n".join(
        f"{f['where']} [{f['functionality']}] expect {f['expect']} got {f['flagged']}: {f['text']}"
        for f in report["failures"]
    )


def test_functional_file_is_well_formed() -> None:
    rows = cases()
    assert len(rows) >= 300
    counts: dict[str, int] = {}
    for row in rows:
        assert set(row) <= {"functionality", "expect", "text", "characteristic", "where"}, row["where"]
        assert isinstance(row["text"], str) and row["text"].strip(), row["where"]
        assert all(Label(label) for label in row["expect"]), row["where"]
        counts[row["functionality"]] = counts.get(row["functionality"], 0) + 1
    thin = {name: n for name, n in counts.items() if n < MIN_CASES}
    assert not thin, f"functionalities with fewer than {MIN_CASES} cases: {thin}"
    texts = [row["text"] for row in rows]
    assert len(set(texts)) == len(texts), "duplicate cases"


def test_functional_accuracy(detector: Detector) -> None:
    report = functional_report(detector)
    print("\n" + format_report(report))
    low = {
        name: round(e["accuracy"], 3)
        for name, e in report["by_functionality"].items()
        if e["accuracy"] < FLOOR_MIN
    }
    message = (
        f"overall {report['overall']:.3f} (floor {FLOOR_OVERALL}); below {FLOOR_MIN}: {low}\n"
        f"{format_report(report)}\nfailed cases:\n{_failures(report)}"
    )
    assert report["overall"] >= FLOOR_OVERALL and not low, message
