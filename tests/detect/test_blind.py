"""The blind suite (tests/detect/blind/): UK political messages by writers the model never read.

The figures it prints are the detector's honest measure on UK political traffic (issue 12): the
writers got only the label definitions, the families and a register, never the training data,
the templates or each other's output, and no training message is a near-duplicate of theirs.
The floors below are the shipped model's figures less a little, so a regression fails here;
they are not the goals (training/blind.py: GOALS), which the model card reports beside them.
"""

from __future__ import annotations

import pytest
from training import blind, dedup
from training.data import written_files

from hustings.detect import OnnxDetector

# Shipped model's figures on the suite less about two points (docs/model-card.md has the figures).
# hustings-intimidation@3.0.0: threat 0.96, sexual harassment 0.94, identity hate 0.90, doxxing 0.94,
# abuse 0.95, hostile 0.97, benign flagged 0.038 (2.1.0: 0.15, 0.18, 0.31, 0.31, 0.87, 0.43, 0.09).
FLOORS = {"threat": 0.94, "sexual_harassment": 0.92, "identity_hate": 0.88, "doxxing": 0.92, "abuse": 0.93,
          "hostile": 0.95}  # fmt: skip
BENIGN_CEILING = 0.055


@pytest.fixture(scope="module")
def summary(detector: OnnxDetector) -> blind.Summary:
    rows = blind.load()
    flagged = [[lab.value for lab in a.flagged] for a in detector.assess([r["text"] for r in rows])]
    return blind.summarise(rows, flagged)


def test_the_suite_is_whole() -> None:
    rows = blind.load()
    assert len(rows) >= 1000
    assert len({r["writer"] for r in rows}) >= 8
    for label in blind.LABEL_NAMES:
        assert sum(label in r["labels"] for r in rows) >= 50, label
    for kind in blind.BENIGN_KINDS:
        assert sum(r["kind"] == kind for r in rows) >= 50, kind


def test_no_training_writer_is_a_blind_writer() -> None:
    blind_writers = {path.stem for path in blind.BLIND.glob("*.jsonl")}
    assert blind_writers.isdisjoint({path.stem for path, _ in written_files()})


def test_near_duplicates_are_found_and_distinct_messages_are_not() -> None:
    references = ["I know where you live and I'll be at your surgery on Friday, watch yourself",
                  "Thanks for sorting out my housing benefit, the office were brilliant"]  # fmt: skip
    candidates = ["i know where you live & ill be at your surgery on friday. watch yourself!!",
                  "The council tax rise is a disgrace and you should resign"]  # fmt: skip
    matches = dedup.near_duplicates(candidates, references)
    assert [(m.index, m.reference) for m in matches] == [(0, 0)]


@pytest.mark.evaluation
def test_blind_suite_figures(summary: blind.Summary, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\n" + "\n".join(blind.table({"shipped": summary})))
    below = [f"{label} recall {summary.labels[label]} < floor {floor}" for label, floor in FLOORS.items()
             if label != "hostile" and summary.labels[label].rate < floor]  # fmt: skip
    if summary.hostile.rate < FLOORS["hostile"]:
        below.append(f"hostile recall {summary.hostile} < floor {FLOORS['hostile']}")
    if summary.benign.rate > BENIGN_CEILING:
        below.append(f"benign flagged {summary.benign} > ceiling {BENIGN_CEILING}")
    assert not below, "; ".join(below)
