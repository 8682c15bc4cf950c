"""`hustings eval`: score the dev/test splits and our own test cases, beside the peers.

Per label: precision, recall, F1 at the shipped thresholds and ROC-AUC; plus
"hostile" (any label) with its flag rate, which is what a peer that gives one
score can be compared on. Peers (alt-profanity-check, hatesonar) are scored in
the same run when they import. The table is printed and written into the
model card between markers.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hustings.detect import LABELS, load_detector
from training import blind, data

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "detect" / "golden"
BEGIN = "<!-- eval:begin -->"
END = "<!-- eval:end -->"
BENIGN = ("criticism", "support", "counter_speech", "news", "negation", "reclaimed", "neutral_identity", "public_info")

Scorer = Callable[[Sequence[str]], np.ndarray]


def roc_auc(scores: np.ndarray, truth: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half; nan when a class is absent."""
    pos = scores[truth]
    neg = scores[~truth]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    values = np.concatenate([pos, neg])[order]
    ranks = np.empty(len(values))
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2 + 1
        i = j + 1
    rank_of = np.empty(len(values))
    rank_of[order] = ranks
    return float((rank_of[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def prf(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(pred & truth))
    precision = tp / float(np.sum(pred)) if pred.any() else 0.0
    recall = tp / float(np.sum(truth)) if truth.any() else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def peers() -> dict[str, tuple[Scorer, float]]:
    """Peer scorers (one 'hostile' score each) and the threshold a new user would use (0.5)."""
    found: dict[str, tuple[Scorer, float]] = {}
    try:
        from profanity_check import predict_prob  # type: ignore[import-untyped]  # ships no type hints

        found["alt-profanity-check"] = (lambda texts: np.asarray(predict_prob(list(texts)), dtype=float), 0.5)
    except Exception as error:  # any import failure just means the peer is not compared
        print(f"[eval] alt-profanity-check unavailable: {error}", file=sys.stderr)
    try:
        from hatesonar import Sonar  # type: ignore[import-untyped]  # ships no type hints

        sonar = Sonar()

        def sonar_scores(texts: Sequence[str]) -> np.ndarray:
            out = []
            for text in texts:
                result = sonar.ping(text=text)
                probs = {c["class_name"]: c["confidence"] for c in result["classes"]}
                out.append(1.0 - float(probs.get("neither", 0.0)))
            return np.array(out)

        sonar_scores(["hello"])
        found["hatesonar"] = (sonar_scores, 0.5)
    except Exception as error:  # hatesonar needs the en_US.UTF-8 locale and old scikit-learn pickles
        print(f"[eval] hatesonar unavailable: {type(error).__name__}: {str(error)[:120]}", file=sys.stderr)
    return found


def olid_offensive(rows: list[dict[str, Any]]) -> np.ndarray:
    """OLID's own OFF/NOT truth ("hostile" for OLID rows), else whether any label is mapped."""
    return np.array([bool(r.get("offensive", bool(r["labels"]))) for r in rows])


def eval_sets(limit: int) -> dict[str, list[dict[str, Any]]]:
    splits = data.build()
    sets: dict[str, list[dict[str, Any]]] = {}
    for name, rows in data.by_source(splits["eval"]):
        sets[f"{name} (test)"] = rows
    for name, rows in data.by_source(splits["dev"]):
        sets[f"{name} (dev)"] = rows
    golden: list[dict[str, Any]] = []
    for path in sorted(GOLDEN.glob("*.jsonl")):
        for row in data.read_jsonl(path):
            golden.append({"text": row["text"], "labels": dict.fromkeys(row["expect"], 1.0),
                           "category": row["category"], "source": "golden"})  # fmt: skip
    sets["uk golden (ours, test)"] = golden
    if limit:
        sets = {k: v[:limit] for k, v in sets.items()}
    return sets


def main(card: Path, peers_on: bool = True, limit: int = 0, **_: Any) -> None:
    detector = load_detector()
    thresholds = detector.thresholds
    sets = eval_sets(limit)
    others = peers() if peers_on else {}
    lines = [
        f"Model `{detector.model}`; thresholds {json.dumps({k.value: v for k, v in thresholds.items()})}.",
        "Truth for public sets is the label mapping in training/data.py (a row counts for a label when its"
        " mapped target is >= 0.5; 'hostile' = any label, and for OLID = OFF). Peers give one score, compared"
        " on 'hostile' at 0.5.",
        "",
        "| set | rows | scorer | label | precision | recall | F1 | ROC-AUC | flag rate | truth rate |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    golden_lines: list[str] = []
    for name, rows in sets.items():
        texts = [r["text"] for r in rows]
        started = time.perf_counter()
        assessments = detector.assess(texts)
        elapsed = time.perf_counter() - started
        probs = np.array([[a.labels[label] for label in LABELS] for a in assessments])
        flags = np.array([[label in a.flagged for label in LABELS] for a in assessments])
        truth = np.array([[r["labels"].get(label.value, 0.0) >= 0.5 for label in LABELS] for r in rows])
        if name.startswith("olid"):
            hostile_truth = olid_offensive(rows)
        else:
            hostile_truth = np.asarray(truth.any(axis=1), dtype=bool)
        print(f"[eval] {name}: {len(rows)} rows in {elapsed:.1f}s", file=sys.stderr)
        for j, label in enumerate(LABELS):
            if not truth[:, j].any():
                continue
            p, r, f = prf(flags[:, j], truth[:, j])
            auc = roc_auc(probs[:, j], truth[:, j])
            lines.append(f"| {name} | {len(rows)} | hustings | {label.value} | {p:.3f} | {r:.3f} | {f:.3f} |"
                         f" {auc:.3f} | {flags[:, j].mean():.3f} | {truth[:, j].mean():.3f} |")  # fmt: skip
        hostile = np.asarray(flags.any(axis=1), dtype=bool)
        p, r, f = prf(hostile, hostile_truth)
        auc = roc_auc(probs.max(axis=1), hostile_truth)
        lines.append(f"| {name} | {len(rows)} | hustings | hostile | {p:.3f} | {r:.3f} | {f:.3f} | {auc:.3f} |"
                     f" {hostile.mean():.3f} | {hostile_truth.mean():.3f} |")  # fmt: skip
        for peer, (scorer, cut) in others.items():
            scores = scorer(texts)
            p, r, f = prf(scores >= cut, hostile_truth)
            auc = roc_auc(scores, hostile_truth)
            lines.append(f"| {name} | {len(rows)} | {peer} | hostile | {p:.3f} | {r:.3f} | {f:.3f} | {auc:.3f} |"
                         f" {(scores >= cut).mean():.3f} | {hostile_truth.mean():.3f} |")  # fmt: skip
        if name.startswith("uk golden"):
            golden_lines = golden_summary(rows, flags, others, texts)
    lines += ["", *blind_lines(detector, others), "", *golden_lines, "", *functional_lines(detector, others)]
    table = "\n".join(lines)
    print(table)
    write_card(card, table)


def golden_summary(rows: list[dict[str, Any]], flags: np.ndarray, others: dict[str, tuple[Scorer, float]],
                   texts: list[str]) -> list[str]:  # fmt: skip
    """UK political goals: threat recall, hostile recall, share of benign categories flagged."""
    categories = np.array([r["category"] for r in rows])
    threat_j = LABELS.index(next(label for label in LABELS if label.value == "threat"))
    hostile_rows = ~np.isin(categories, BENIGN)
    out = ["UK political golden cases (tests/detect/golden/uk_political.jsonl):", "",
           "| scorer | threat recall (threat label) | hostile recall (any label) | benign flagged |"
           " " + " | ".join(BENIGN) + " |", "|---|---|---|---|" + "---|" * len(BENIGN)]  # fmt: skip
    hostile = np.asarray(flags.any(axis=1), dtype=bool)
    is_threat = categories == "threat"
    benign = np.isin(categories, BENIGN)
    per = " | ".join(f"{hostile[categories == c].mean():.2f} ({int(hostile[categories == c].sum())}/"
                     f"{int((categories == c).sum())})" for c in BENIGN)  # fmt: skip
    out.append(f"| hustings | {flags[is_threat, threat_j].mean():.3f} | {hostile[hostile_rows].mean():.3f} |"
               f" {hostile[benign].mean():.3f} | {per} |")  # fmt: skip
    for peer, (scorer, cut) in others.items():
        pf = scorer(texts) >= cut
        per = " | ".join(f"{pf[categories == c].mean():.2f}" for c in BENIGN)
        out.append(f"| {peer} | {pf[is_threat].mean():.3f} (any) | {pf[hostile_rows].mean():.3f} |"
                   f" {pf[benign].mean():.3f} | {per} |")  # fmt: skip
    return out


def blind_lines(detector: Any, others: dict[str, tuple[Scorer, float]]) -> list[str]:
    """The blind suite's figures per label, family and writer, the detector beside the peers.

    A peer's single score stands for every label: over its cut-off it "flags" all of them, so
    its per-label recall is its hostile recall on that label's messages.
    """
    rows = blind.load()
    if not rows:
        return ["Blind suite: tests/detect/blind/ holds no messages."]
    texts = [row["text"] for row in rows]
    columns = {"hustings": blind.summarise(rows, [[lab.value for lab in a.flagged] for a in detector.assess(texts)])}
    for peer, (scorer, cut) in others.items():
        columns[peer] = blind.summarise(rows, [list(blind.LABEL_NAMES) if s >= cut else [] for s in scorer(texts)])
    writers = len({row["writer"] for row in rows})
    return [f"{len(rows)} messages by {writers} writers.", "", *blind.table(columns)]


def functional_lines(detector: Any, others: dict[str, tuple[Scorer, float]]) -> list[str]:
    """Accuracy per functionality on our hand-written functional cases (tests/detect/functional/).

    A peer's single score stands for every label: over its cut-off it "flags" all of them.
    """
    from tests.detect.test_functional import cases, is_right

    rows = cases()
    texts = [row["text"] for row in rows]
    flagged = {"hustings": [[label.value for label in a.flagged] for a in detector.assess(texts)]}
    everything = [label.value for label in LABELS]
    for peer, (scorer, cut) in others.items():
        flagged[peer] = [everything if score >= cut else [] for score in scorer(texts)]
    names = sorted({row["functionality"] for row in rows})
    out = ["Functional cases (tests/detect/functional/cases.jsonl; right = nothing flagged on benign cases,"
           " identity_hate on hateful ones, any label on abuse_person, threat or identity_hate on threat_group):",
           "", "| functionality | cases | " + " | ".join(flagged) + " |", "|---|---|" + "---|" * len(flagged)]  # fmt: skip
    for name in [*names, "overall"]:
        index = [i for i, row in enumerate(rows) if name in ("overall", row["functionality"])]
        accuracy = [sum(is_right(rows[i], got[i]) for i in index) / len(index) for got in flagged.values()]
        out.append(f"| {name} | {len(index)} | " + " | ".join(f"{a:.2f}" for a in accuracy) + " |")
    return out


def write_card(card: Path, table: str) -> None:
    block = f"{BEGIN}\n{table}\n{END}"
    if card.is_file():
        text = card.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip() + "\n\n## Evaluation\n\n" + block + "\n"
    else:
        text = "# Model card\n\n## Evaluation\n\n" + block + "\n"
    card.write_text(text, encoding="utf-8")
    print(f"[eval] wrote {card}", file=sys.stderr)
