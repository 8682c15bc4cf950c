"""What moving one label's threshold trades, for a team choosing its own operating point.

    .venv/bin/python -m training.operating_point [--label abuse] [--grid 0.15,0.2,0.25,0.3,0.35] [--model DIR]

The model is scored once on each set; then, for each threshold in the grid (the
other labels stay at the shipped thresholds), it prints:
- OLID dev and test F1 for "offensive" (any label flagged) and the test flag rate
  (the incivility proxy; the shipped abuse threshold is OLID dev's F1 optimum);
- the share of benign golden UK cases flagged, and recall of the hostile ones;
- the share of held-out UK templates of rude criticism, criticism, support and
  benign swearing flagged (what the issue says to leave alone);
- accuracy on the functional cases.

Golden and functional cases are tests: this table reports on them, nothing is
fitted to them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from hustings.detect import load_detector
from hustings.detect.assessment import LABELS, Label
from training.evaluate import BENIGN, eval_sets, olid_offensive, prf, roc_auc

LEAVE_ALONE = ("criticism", "rude_criticism", "support", "profanity_benign")


def main(argv: list[str] | None = None) -> int:
    from tests.detect.test_functional import cases, is_right

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", default="abuse", choices=[label.value for label in LABELS])
    parser.add_argument("--grid", default="0.15,0.175,0.2,0.225,0.25,0.3,0.35")
    parser.add_argument("--model", type=Path, default=None, help="a model folder (default: the shipped one)")
    args = parser.parse_args(argv)
    grid = [float(x) for x in args.grid.split(",") if x.strip()]
    detector = load_detector(args.model)
    column = LABELS.index(Label(args.label))
    shipped = np.array([detector.thresholds[label] for label in LABELS])
    sets = eval_sets(0)
    olid_dev, olid_test = sets["olid (dev)"], sets["olid (test)"]
    golden = sets["uk golden (ours, test)"]
    templates = sets["uk_templates (dev)"]
    functional = cases()

    def probs(rows: list[dict[str, Any]]) -> np.ndarray:
        return np.asarray(detector.scores([r["text"] for r in rows])[0])

    p_dev, p_test, p_gold, p_tmpl, p_func = (probs(rows) for rows in (olid_dev, olid_test, golden, templates,
                                                                         functional))  # fmt: skip
    truth_dev, truth_test = olid_offensive(olid_dev), olid_offensive(olid_test)
    benign = np.isin(np.array([r["category"] for r in golden]), BENIGN)
    family = np.array([str(r["source"]).split(":")[-1] for r in templates])
    alone = np.isin(family, LEAVE_ALONE)
    print(f"model {detector.model}; {args.label} shipped at {shipped[column]}; OLID test ROC-AUC (max label) "
          f"{roc_auc(p_test.max(axis=1), truth_test):.3f}")  # fmt: skip
    print(f"| {args.label} | OLID dev F1 | OLID test F1 | OLID test flagged (true {truth_test.mean():.1%}) "
          f"| golden benign flagged | golden hostile recall | UK templates left-alone flagged ({int(alone.sum())}) "
          "| functional |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for value in grid:
        cut = shipped.copy()
        cut[column] = value
        flags_test = (p_test >= cut).any(axis=1)
        flags_gold = (p_gold >= cut).any(axis=1)
        names = [[LABELS[j].value for j in range(len(LABELS)) if row[j] >= cut[j]] for row in p_func]
        accuracy = float(np.mean([is_right(case, got) for case, got in zip(functional, names, strict=True)]))
        print(f"| {value:g}{' (shipped)' if value == shipped[column] else ''} "
              f"| {prf((p_dev >= cut).any(axis=1), truth_dev)[2]:.3f} "
              f"| {prf(flags_test, truth_test)[2]:.3f} | {flags_test.mean():.1%} "
              f"| {flags_gold[benign].mean():.1%} | {flags_gold[~benign].mean():.1%} "
              f"| {(p_tmpl[alone] >= cut).any(axis=1).mean():.1%} | {accuracy:.3f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
