"""Clusters of exact and near-duplicate messages: pile-ons repeat the same words.

Each message's text is normalised (case, accents, links, mentions, punctuation and spacing),
then hashed whole (exact duplicates) and summarised as a MinHash signature over character
5-grams (`datasketch`). Locality-sensitive hashing splits the signature into bands; two messages
that share any band are candidates, and a candidate whose estimated Jaccard similarity reaches
`THRESHOLD` is a near-duplicate. Band keys and text hashes are stored in indexed columns, so
finding a message's cluster is a few index lookups, not a scan.

A message joins the cluster of the member it resembles most (an exact duplicate first); a
cluster is made when a message first matches one that has none. Joining is a `cluster.joined`
event on the message, so the status's `cluster_id` is derived from the log like everything
else. Clusters are not merged when a message resembles two of them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from datasketch import MinHash

from hustings.clock import Clock
from hustings.events import SYSTEM_ACTOR, Event
from hustings.moderation.events import CLUSTER_JOINED, ClusterJoined
from hustings.moderation.status import SUBJECT

NUM_PERM = 128
BANDS = 16
ROWS = NUM_PERM // BANDS
THRESHOLD = 0.7
"""Estimated Jaccard similarity of 5-gram sets at or above which two texts are near-duplicates.
With 16 bands of 8 rows, pairs at 0.7 share a band with probability ~0.6 and pairs at 0.85 ~0.99."""
SHINGLE = 5
MIN_LENGTH = 12
"""Normalised texts shorter than this ("ok", "lol") would cluster everything; they join no cluster."""
SEED = 20260507  # fixed: signatures must compare across processes and releases

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_NON_WORD = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The text a cluster compares: lower case, no accents, links or mentions, single spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    folded = _URL.sub(" ", folded)
    folded = _MENTION.sub(" ", folded)
    folded = _NON_WORD.sub(" ", folded)
    return _SPACE.sub(" ", folded).strip()


def text_hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def signature(normalised: str) -> np.ndarray:
    """The MinHash signature (`NUM_PERM` unsigned 32-bit values) of a normalised text."""
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    padded = f" {normalised} "
    grams = {padded[i : i + SHINGLE] for i in range(max(1, len(padded) - SHINGLE + 1))}
    minhash.update_batch([gram.encode() for gram in grams])
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


def band_keys(values: np.ndarray) -> list[str]:
    """One key per LSH band: the band's number and a hash of its rows."""
    return [
        f"{band:02d}{hashlib.blake2b(values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8).hexdigest()}"
        for band in range(BANDS)
    ]


def similarity(left: bytes, right: bytes) -> float:
    """Estimated Jaccard similarity of two stored signatures."""
    a = np.frombuffer(left, dtype=np.uint32)
    b = np.frombuffer(right, dtype=np.uint32)
    return float(np.count_nonzero(a == b)) / NUM_PERM


@dataclass(frozen=True, slots=True)
class Member:
    message_id: str
    cluster_id: str | None
    signature: bytes


class ClusterIndex(Protocol):
    """Where signatures and band keys are kept (SQL in `hustings.storage.moderation`). Never commits."""

    def by_text_hash(self, digest: str) -> Member | None:
        """The earliest message with exactly this normalised text."""
        ...

    def candidates(self, keys: Sequence[str]) -> list[Member]:
        """Messages sharing at least one band key, earliest first."""
        ...

    def add(
        self, message_id: str, digest: str, values: bytes, keys: Sequence[str], cluster_id: str | None
    ) -> None: ...

    def set_cluster(self, message_id: str, cluster_id: str) -> None: ...


def new_cluster_id(seed_message_id: str) -> str:
    return "c_" + seed_message_id.removeprefix("m_")[:20]


def _joined(message_id: str, cluster_id: str, similarity_: float, matched: str | None, clock: Clock) -> Event:
    payload: ClusterJoined = {
        "cluster_id": cluster_id,
        "similarity": round(similarity_, 4),
        "matched_message_id": matched,
    }
    return Event(
        kind=CLUSTER_JOINED,
        subject_type=SUBJECT,
        subject_id=message_id,
        actor=SYSTEM_ACTOR,
        occurred_at=clock.now(),
        idempotency_key=f"{CLUSTER_JOINED}:{message_id}",
        reason=f"near-duplicate of {matched} ({similarity_:.2f})" if matched else "cluster seed",
        payload=dict(payload),
    )


def assign_clusters(index: ClusterIndex, messages: Sequence[tuple[str, str]], clock: Clock) -> list[Event]:
    """Index each (message id, text) and return the `cluster.joined` events to append."""
    events: list[Event] = []
    for message_id, text in messages:
        normalised = normalise(text)
        if len(normalised) < MIN_LENGTH:
            continue
        digest = text_hash(normalised)
        values = signature(normalised)
        raw = values.tobytes()
        keys = band_keys(values)
        match: Member | None = index.by_text_hash(digest)
        score = 1.0
        if match is None:
            best: tuple[float, Member] | None = None
            for candidate in index.candidates(keys):
                estimate = similarity(raw, candidate.signature)
                if estimate >= THRESHOLD and (best is None or estimate > best[0]):
                    best = (estimate, candidate)
            if best is not None:
                score, match = best
        cluster_id: str | None = None
        if match is not None:
            cluster_id = match.cluster_id
            if cluster_id is None:
                cluster_id = new_cluster_id(match.message_id)
                index.set_cluster(match.message_id, cluster_id)
                events.append(_joined(match.message_id, cluster_id, 1.0, None, clock))
            events.append(_joined(message_id, cluster_id, score, match.message_id, clock))
        index.add(message_id, digest, raw, keys, cluster_id)
    return events
