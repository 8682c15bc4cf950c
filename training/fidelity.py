"""How faithful the int8 graph is to its fp32 export, on the dev split.

    .venv/bin/python -m training.fidelity training/.cache/run-v4/model.fp32.onnx src/hustings/detect/model/model.onnx

Prints the label-logit gap (mean, 99th percentile, max) over every third dev
row, and the ROC-AUC per dev set (hostile = any label, and the mean over
labels) for both files, scored one message per run as the runtime does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hustings.detect.assessment import LABELS
from training import data
from training.evaluate import roc_auc
from training.train import raw_logits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("fp32", type=Path)
    parser.add_argument("int8", type=Path)
    args = parser.parse_args(argv)
    dev = data.build()["dev"]
    sample = dev[::3]
    texts = [r["text"] for r in sample]
    gap = np.abs(raw_logits(args.int8, texts) - raw_logits(args.fp32, texts))
    print(f"logit gap over {len(sample)} dev rows: mean {gap.mean():.3f}, p99 {np.quantile(gap, 0.99):.3f},"
          f" max {gap.max():.3f}")  # fmt: skip
    for model in (args.fp32, args.int8):
        parts = []
        for name, rows in data.by_source(dev):
            z = raw_logits(model, [r["text"] for r in rows])
            truth = np.array([[r["labels"].get(label.value, 0.0) >= 0.5 for label in LABELS] for r in rows])
            per_label = [roc_auc(z[:, j], truth[:, j]) for j in range(len(LABELS)) if 0 < truth[:, j].sum() < len(rows)]
            parts.append(f"{name}: hostile {roc_auc(z.max(axis=1), truth.any(axis=1)):.3f},"
                         f" labels {float(np.mean(per_label)):.3f}")  # fmt: skip
        print(f"{model.name}: " + " | ".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
