"""The blind suite: UK political messages by writers whose output never trains the detector.

Each file in `tests/detect/blind/` is one writer's whole output (see its README for the
briefs and how it was made). A line is
`{"text", "labels": [...], "kind", "family", "characteristic", "target_role", "register"}`:
`labels` is empty for the four benign kinds (`criticism`, `support`, `counter_speech`, `news`).

`summarise` turns the detector's flags into the figures issue 12 sets goals on: recall per
label, "anything hostile flagged", the share of each benign kind flagged, and the same broken
down by family and by writer. `training/data.py` never reads this folder, and `training/dedup.py`
drops any training message that is a near-duplicate of one of these.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BLIND = ROOT / "tests" / "detect" / "blind"
LABEL_NAMES = ("threat", "sexual_harassment", "identity_hate", "abuse", "doxxing")
BENIGN_KINDS = ("criticism", "support", "counter_speech", "news")
KINDS = ("hostile", *BENIGN_KINDS)
ROLES = ("mp", "candidate", "councillor", "mayor", "staff")
CHARACTERISTICS = ("race", "religion", "sex_gender", "sexual_orientation", "gender_identity", "disability",
                   "nationality")  # fmt: skip

# Issue 12's goals on UK political messages.
GOALS = {"threat": 0.90, "sexual_harassment": 0.75, "identity_hate": 0.75, "doxxing": 0.75, "abuse": 0.85,
         "hostile": 0.85, "benign_flagged": 0.05}  # fmt: skip


class BadMessage(ValueError):
    """A line of a writer's file that does not follow the format; names the file, line and field."""


def check(row: Any, where: str) -> dict[str, Any]:
    """Validate one parsed line and return it with `where` (file:line) added."""
    if not isinstance(row, dict):
        raise BadMessage(f"{where}: not a JSON object")
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadMessage(f"{where}: text: a non-empty string is required")
    labels = row.get("labels")
    if not isinstance(labels, list) or any(label not in LABEL_NAMES for label in labels):
        raise BadMessage(f"{where}: labels: a list of {list(LABEL_NAMES)} is required, got {labels!r}")
    kind = row.get("kind")
    if kind not in KINDS:
        raise BadMessage(f"{where}: kind: one of {list(KINDS)} is required, got {kind!r}")
    if (kind == "hostile") != bool(labels):
        raise BadMessage(f"{where}: kind: {kind!r} does not agree with labels {labels!r}")
    if not isinstance(row.get("family"), str) or not row["family"]:
        raise BadMessage(f"{where}: family: a name is required")
    characteristic = row.get("characteristic")
    if characteristic is not None and characteristic not in CHARACTERISTICS:
        raise BadMessage(f"{where}: characteristic: one of {list(CHARACTERISTICS)} or null, got {characteristic!r}")
    if row.get("target_role") not in ROLES:
        raise BadMessage(f"{where}: target_role: one of {list(ROLES)} is required, got {row.get('target_role')!r}")
    return {**row, "where": where}


def read_writer(path: Path) -> list[dict[str, Any]]:
    """One writer's messages, each checked; the first bad line raises `BadMessage` naming it."""
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadMessage(f"{where}: not JSON ({error.msg})") from None
        rows.append({**check(parsed, where), "writer": path.stem})
    return rows


def load(folder: Path = BLIND) -> list[dict[str, Any]]:
    return [row for path in sorted(folder.glob("*.jsonl")) for row in read_writer(path)]


@dataclass(frozen=True)
class Figure:
    """A share of `total` messages: recall for hostile groups, the flag rate for benign ones."""

    hits: int
    total: int

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else float("nan")

    def __str__(self) -> str:
        return f"{self.rate:.2f} ({self.hits}/{self.total})"


@dataclass(frozen=True)
class Summary:
    labels: dict[str, Figure]  # recall of each label on the messages that carry it
    hostile: Figure  # hostile messages with any label flagged
    benign: Figure  # benign messages with any label flagged
    kinds: dict[str, Figure]  # each benign kind: share flagged
    families: dict[str, Figure]  # hostile families: its own labels caught; benign: share flagged
    writers: dict[str, tuple[Figure, Figure]]  # per writer: hostile recall, benign flagged
    precision: dict[str, Figure]  # of the messages flagged for a label, how many carry it


def summarise(rows: Sequence[dict[str, Any]], flagged: Sequence[Sequence[str]]) -> Summary:
    """The suite's figures from each row's flagged label names (same order as `rows`)."""
    got = [set(f) for f in flagged]

    def share(index: list[int], hit: Any) -> Figure:
        return Figure(sum(1 for i in index if hit(i)), len(index))

    hostile = [i for i, r in enumerate(rows) if r["labels"]]
    benign = [i for i, r in enumerate(rows) if not r["labels"]]
    labels = {lab: share([i for i in hostile if lab in rows[i]["labels"]], lambda i, lab=lab: lab in got[i])
              for lab in LABEL_NAMES}  # fmt: skip
    precision = {lab: share([i for i in range(len(rows)) if lab in got[i]],
                            lambda i, lab=lab: lab in rows[i]["labels"]) for lab in LABEL_NAMES}  # fmt: skip
    kinds = {kind: share([i for i in benign if rows[i]["kind"] == kind], lambda i: bool(got[i])) for kind in BENIGN_KINDS}
    families: dict[str, Figure] = {}
    for family in sorted({r["family"] for r in rows}):
        index = [i for i, r in enumerate(rows) if r["family"] == family]
        if all(rows[i]["labels"] for i in index):
            families[family] = share(index, lambda i: bool(got[i] & set(rows[i]["labels"])))
        else:
            families[family] = share(index, lambda i: bool(got[i]))
    writers = {}
    for writer in sorted({r["writer"] for r in rows}):
        mine_h = [i for i in hostile if rows[i]["writer"] == writer]
        mine_b = [i for i in benign if rows[i]["writer"] == writer]
        writers[writer] = (share(mine_h, lambda i: bool(got[i])), share(mine_b, lambda i: bool(got[i])))
    return Summary(labels, share(hostile, lambda i: bool(got[i])), share(benign, lambda i: bool(got[i])), kinds,
                   families, writers, precision)  # fmt: skip


def table(columns: dict[str, Summary]) -> list[str]:
    """Markdown tables of one or more summaries side by side (a column per scorer or model)."""
    names = list(columns)
    head = "| measure | goal | " + " | ".join(names) + " |"
    rule = "|---|---|" + "---|" * len(names)
    first = next(iter(columns.values()))
    out = ["Blind suite (tests/detect/blind/, writers never trained on): recall per label, hostile flagged,"
           " benign flagged (share of the benign kinds with any flag).", "", head, rule]  # fmt: skip
    for lab in LABEL_NAMES:
        out.append(f"| {lab} recall | ≥ {GOALS[lab]:.2f} | " + " | ".join(str(s.labels[lab]) for s in columns.values()) + " |")
    out.append(f"| anything hostile flagged | ≥ {GOALS['hostile']:.2f} | " + " | ".join(str(s.hostile) for s in columns.values()) + " |")
    out.append(f"| benign flagged | ≤ {GOALS['benign_flagged']:.2f} | " + " | ".join(str(s.benign) for s in columns.values()) + " |")
    for kind in BENIGN_KINDS:
        out.append(f"| {kind} flagged | | " + " | ".join(str(s.kinds[kind]) for s in columns.values()) + " |")
    for lab in LABEL_NAMES:
        out.append(f"| {lab} precision | | " + " | ".join(str(s.precision[lab]) for s in columns.values()) + " |")
    out += ["", "By family (hostile: share with one of its own labels flagged; benign: share flagged):", "",
            "| family | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]  # fmt: skip
    for family in first.families:
        out.append(f"| {family} | " + " | ".join(str(s.families[family]) for s in columns.values()) + " |")
    out += ["", "By writer (hostile recall / benign flagged):", "",
            "| writer | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]  # fmt: skip
    for writer in first.writers:
        out.append(f"| {writer} | " + " | ".join(f"{s.writers[writer][0]} / {s.writers[writer][1]}"
                                                 for s in columns.values()) + " |")  # fmt: skip
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m training.blind [--model DIR ...]`: the suite's tables, one column per model folder."""
    import argparse

    from hustings.detect import load_detector

    parser = argparse.ArgumentParser(description="Score the blind suite with one or more model folders.")
    parser.add_argument("--model", type=Path, action="append", default=None,
                        help="model folder (repeatable; default: the shipped model)")  # fmt: skip
    args = parser.parse_args(argv)
    rows = load()
    texts = [row["text"] for row in rows]
    columns: dict[str, Summary] = {}
    for folder in args.model or [None]:
        detector = load_detector(folder)
        flagged = [[lab.value for lab in a.flagged] for a in detector.assess(texts)]
        name = detector.model if detector.model not in columns else f"{detector.model} ({folder})"
        columns[name] = summarise(rows, flagged)
    print(f"{len(rows)} messages by {len({r['writer'] for r in rows})} writers")
    print("\n".join(table(columns)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
