"""How often an independent reader agreed with the writers' labels (docs/writers/label-check/).

    .venv/bin/python -m training.label_agreement

`input.jsonl` holds 320 messages (160 drawn at random from the blind suite, 160 from the first
eight training writers), shown to a separate reader with the label definitions only;
`labels.jsonl` is what the reader said and `key.jsonl` what the writers said. Prints, for the
blind and the training halves and both together, agreement and Cohen's kappa on hostile versus
benign and on each label, and agreement on the kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.blind import LABEL_NAMES

CHECK = Path(__file__).resolve().parents[1] / "docs" / "writers" / "label-check"


def kappa(a: list[bool], b: list[bool]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def _read(name: str) -> dict[int, dict[str, Any]]:
    rows = (json.loads(line) for line in (CHECK / name).read_text(encoding="utf-8").splitlines() if line.strip())
    return {int(row["id"]): row for row in rows}


def main() -> int:
    key, reader, texts = _read("key.jsonl"), _read("labels.jsonl"), _read("input.jsonl")
    print("| sample | n | measure | writers | reader | agreement | kappa |\n|---|---|---|---|---|---|---|")
    for use in ("blind", "train", "all"):
        ids = [i for i in key if use == "all" or key[i]["use"] == use]
        pairs = [("hostile", [bool(key[i]["labels"]) for i in ids], [bool(reader[i]["labels"]) for i in ids])]
        pairs += [(lab, [lab in key[i]["labels"] for i in ids], [lab in reader[i]["labels"] for i in ids])
                  for lab in LABEL_NAMES]  # fmt: skip
        for name, a, b in pairs:
            agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(ids)
            print(f"| {use} | {len(ids)} | {name} | {sum(a)} | {sum(b)} | {agree:.3f} | {kappa(a, b):.3f} |")
        kinds = sum(key[i]["kind"] == reader[i]["kind"] for i in ids) / len(ids)
        print(f"| {use} | {len(ids)} | kind | | | {kinds:.3f} | |")
    print("\nDisagreements:")
    for i in sorted(key):
        if set(key[i]["labels"]) != set(reader[i]["labels"]):
            print(f"- {i} ({key[i]['use']}): writer {key[i]['labels']}, reader {reader[i]['labels']}: {texts[i]['text'][:120]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
