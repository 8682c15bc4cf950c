"""How alike two messages' texts are: the one MinHash engine, for moderation's near-duplicate
clusters and protection's copy-paste sign of a pile-on.

A text is normalised (case, accents, links, mentions, punctuation and spacing), then summarised
as a MinHash signature over its character 5-grams (`datasketch`). The share of positions where
two signatures agree estimates the Jaccard similarity of the two 5-gram sets. Locality-sensitive
hashing splits a signature into bands: texts that share a band key are candidates, so a stored
index finds them by lookups, not a scan.

Signatures and band keys are stored (moderation's `cluster_member` and `cluster_band` rows,
protection's target state), so the scheme, seed, width and base hash are fixed here, not left to
the library's defaults: values computed today compare with those computed after an upgrade. How
similar is similar enough is the caller's: each use names its own threshold.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from datasketch import MinHash

Signature = np.ndarray[Any, np.dtype[np.uint32]]
"""`NUM_PERM` unsigned 32-bit values."""

NUM_PERM = 128
BANDS = 16
ROWS = NUM_PERM // BANDS
"""With 16 bands of 8 rows, pairs at similarity 0.7 share a band with probability ~0.6, and pairs
at 0.85 ~0.99."""
SHINGLE = 5
SEED = 20260507  # fixed: signatures must compare across processes and releases

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_NON_WORD = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The text that is compared: lower case, no accents, links or mentions, single spaces.

    A light fold, not `hustings.detect.normalise`: copy-paste differs by handles, links, case
    and punctuation, and this runs on every ingested message.
    """
    folded = text.casefold()
    if not folded.isascii():  # most messages are plain ASCII and need no decomposition
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(char for char in folded if not unicodedata.combining(char))
    folded = _URL.sub(" ", folded)
    folded = _MENTION.sub(" ", folded)
    folded = _NON_WORD.sub(" ", folded)
    return _SPACE.sub(" ", folded).strip()


def text_hash(normalised: str) -> str:
    """The SHA-256 of a normalised text: equal for exact duplicates."""
    return hashlib.sha256(normalised.encode()).hexdigest()


def shingles(normalised: str) -> list[bytes]:
    """The distinct character 5-grams of a normalised text, padded so its ends count too."""
    padded = f" {normalised} "
    return [
        gram.encode() for gram in {padded[i : i + SHINGLE] for i in range(max(1, len(padded) - SHINGLE + 1))}
    ]


@cache
def _empty() -> MinHash:
    # The permutations are set up once per process; each signature starts from a copy.
    # CRC-32 is much cheaper than the default SHA-1 per 5-gram; the random affine permutations on
    # top do the mixing.
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32", hashfunc=zlib.crc32)


def signatures(normalised: Sequence[str]) -> list[Signature]:
    """MinHash signatures of normalised texts, in order."""
    empty = _empty()
    found: list[Signature] = []
    for text in normalised:
        minhash = empty.copy()
        minhash.update_batch(shingles(text))
        found.append(np.asarray(minhash.hashvalues, dtype=np.uint32))
    return found


def signature(normalised: str) -> Signature:
    """The MinHash signature of one normalised text."""
    return signatures([normalised])[0]


def from_bytes(raw: bytes) -> Signature:
    """A signature stored as bytes (`Signature.tobytes()`)."""
    values: Signature = np.frombuffer(raw, dtype=np.uint32)
    return values


def band_keys(values: Signature) -> list[str]:
    """One key per LSH band: the band's number and a hash of its rows."""
    return [
        f"{band:02d}{hashlib.blake2b(values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8).hexdigest()}"
        for band in range(BANDS)
    ]


def similarity(left: bytes, right: bytes) -> float:
    """Estimated Jaccard similarity of two stored signatures."""
    return float(np.count_nonzero(from_bytes(left) == from_bytes(right))) / NUM_PERM


def closest(candidates: Sequence[Signature], values: Signature) -> tuple[int, float]:
    """The index of the candidate most like `values`, and their estimated similarity.

    `(-1, 0.0)` when there are no candidates. Candidates of another width (stored by an older
    release) are never the closest.
    """
    comparable = [index for index, candidate in enumerate(candidates) if candidate.shape == values.shape]
    if not comparable:
        return -1, 0.0
    agreement = (np.stack([candidates[index] for index in comparable]) == values).mean(axis=1)
    best = int(np.argmax(agreement))
    return comparable[best], float(agreement[best])
