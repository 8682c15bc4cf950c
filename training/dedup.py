"""Keep training messages away from the blind suite: no near-duplicate of a blind message trains.

    .venv/bin/python -m training.dedup            # report pairs over the threshold, per file

Two messages are near-duplicates when the Jaccard similarity of their character 5-gram sets
(after `hustings.detect.normalise`, lower-cased, runs of spaces and punctuation squashed) is at
least `THRESHOLD`. Candidates come from datasketch's MinHash LSH and every candidate pair is
confirmed by the exact Jaccard, so the check misses almost nothing over the threshold and reports
nothing under it. `training/data.py` drops every training row that has a blind near-duplicate.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from hustings.detect.normalise import normalise

THRESHOLD = 0.5
NUM_PERM = 128
_SQUASH = re.compile(r"[\W_]+")


def shingles(text: str, width: int = 5) -> set[str]:
    flat = _SQUASH.sub(" ", normalise(text).text.lower()).strip()
    if len(flat) <= width:
        return {flat}
    return {flat[i : i + width] for i in range(len(flat) - width + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@dataclass(frozen=True)
class Match:
    index: int  # in the candidates
    reference: int  # in the references
    similarity: float


def near_duplicates(candidates: Sequence[str], references: Sequence[str], threshold: float = THRESHOLD) -> list[Match]:
    """Every candidate with a reference at Jaccard >= threshold, with its closest such reference."""
    lsh = MinHashLSH(threshold=max(0.05, threshold - 0.15), num_perm=NUM_PERM)  # lower: LSH misses few
    ref_sets = [shingles(t) for t in references]
    for i, grams in enumerate(ref_sets):
        lsh.insert(str(i), _minhash(grams))
    found: list[Match] = []
    for i, text in enumerate(candidates):
        grams = shingles(text)
        scored = [(jaccard(grams, ref_sets[int(key)]), int(key)) for key in lsh.query(_minhash(grams))]
        best = max(scored, default=(0.0, -1))
        if best[0] >= threshold:
            found.append(Match(i, best[1], best[0]))
    return found


def _minhash(grams: Iterable[str]) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, seed=1)
    m.update_batch([g.encode("utf-8") for g in grams])
    return m


def main() -> int:
    from training import blind, data

    references = [r["text"] for r in blind.load()]
    total = 0
    for path, rows in data.written_files():
        matches = near_duplicates([r["text"] for r in rows], references)
        total += len(matches)
        print(f"{path.name}: {len(rows)} rows, {len(matches)} near-duplicates of blind messages (Jaccard >= {THRESHOLD})")
        for m in matches[:20]:
            print(f"  {m.similarity:.2f} {rows[m.index]['text'][:80]!r} ~ {references[m.reference][:80]!r}")
    print(f"{total} training rows dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
