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
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from datasketch import MinHash

from hustings.clock import Clock
from hustings.events import SYSTEM_ACTOR, Event
from hustings.messages.events import SUBJECT
from hustings.moderation.events import CLUSTER_JOINED, ClusterJoined

NUM_PERM = 128
BANDS = 16
ROWS = NUM_PERM // BANDS
THRESHOLD = 0.7
"""Estimated Jaccard similarity of 5-gram sets at or above which two texts are near-duplicates.
With 16 bands of 8 rows, pairs at 0.7 share a band with probability ~0.6 and pairs at 0.85 ~0.99."""
SHINGLE = 5
MIN_LENGTH = 12
"""Normalised texts shorter than this ("ok", "lol") would cluster everything; they join no cluster."""
MAX_CANDIDATES = 200
"""At most this many candidates are compared per message (a very common phrase shares bands with many)."""
SEED = 20260507  # fixed: signatures must compare across processes and releases

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_NON_WORD = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The text a cluster compares: lower case, no accents, links or mentions, single spaces."""
    folded = text.casefold()
    if not folded.isascii():  # most messages are plain ASCII and need no decomposition
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(char for char in folded if not unicodedata.combining(char))
    folded = _URL.sub(" ", folded)
    folded = _MENTION.sub(" ", folded)
    folded = _NON_WORD.sub(" ", folded)
    return _SPACE.sub(" ", folded).strip()


def text_hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def _grams(normalised: str) -> list[bytes]:
    padded = f" {normalised} "
    return [
        gram.encode() for gram in {padded[i : i + SHINGLE] for i in range(max(1, len(padded) - SHINGLE + 1))}
    ]


def signatures(normalised: Sequence[str]) -> list[np.ndarray]:
    """MinHash signatures (`NUM_PERM` unsigned 32-bit values each) of normalised texts.

    The scheme and the base hash are named, not left to the library's defaults, so signatures
    stored today still compare with those computed after an upgrade. The base hash is CRC-32
    (much cheaper than the default SHA-1 per 5-gram; the random affine permutations on top do the
    mixing); `MinHash.bulk` sets the permutations up once.
    """
    if not normalised:
        return []
    found = MinHash.bulk(
        [_grams(text) for text in normalised],
        num_perm=NUM_PERM,
        seed=SEED,
        scheme="affine32",
        hashfunc=zlib.crc32,
    )
    return [np.asarray(minhash.hashvalues, dtype=np.uint32) for minhash in found]


def signature(normalised: str) -> np.ndarray:
    """The MinHash signature of one normalised text."""
    return signatures([normalised])[0]


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


@dataclass(frozen=True, slots=True)
class Indexed:
    """A new message's entry in the index."""

    message_id: str
    text_hash: str
    signature: bytes
    band_keys: tuple[str, ...]
    cluster_id: str | None


class ClusterIndex(Protocol):
    """Where signatures and band keys are kept (SQL in `hustings.storage.moderation`). Never commits."""

    def lookup(
        self, digests: Sequence[str], keys: Sequence[str]
    ) -> tuple[dict[str, Member], dict[str, list[Member]]]:
        """For a batch: the earliest member with each text hash, and the members sharing each band key."""
        ...

    def save(self, entries: Sequence[Indexed], clusters: dict[str, str]) -> None:
        """Add new entries, and set the cluster of existing members (`clusters`: message id -> cluster id)."""
        ...


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
    """Index a batch of (message id, text) and return the `cluster.joined` events to append.

    Two reads for the whole batch (text hashes, band keys), matching in memory (messages of the
    batch match each other too), one write.
    """
    texts = [(message_id, normalise(text)) for message_id, text in messages]
    texts = [(message_id, text) for message_id, text in texts if len(text) >= MIN_LENGTH]
    prepared = [
        (message_id, text_hash(text), values, band_keys(values))
        for (message_id, text), values in zip(texts, signatures([text for _, text in texts]), strict=True)
    ]
    if not prepared:
        return []
    by_digest, by_key = index.lookup(
        [digest for _, digest, _, _ in prepared], sorted({key for *_, keys in prepared for key in keys})
    )
    members: dict[str, Member] = {}
    for found in [*by_digest.values(), *(m for group in by_key.values() for m in group)]:
        members.setdefault(found.message_id, found)
    key_members: dict[str, list[str]] = {key: [m.message_id for m in group] for key, group in by_key.items()}
    digest_member: dict[str, str] = {digest: m.message_id for digest, m in by_digest.items()}
    events: list[Event] = []
    entries: list[Indexed] = []
    seeded: dict[str, str] = {}
    for message_id, digest, values, keys in prepared:
        if message_id in members:
            continue  # already indexed (ingest is idempotent, so this should not happen)
        match_id = digest_member.get(digest)
        score = 1.0
        if match_id is None:
            candidates = list(dict.fromkeys(mid for key in keys for mid in key_members.get(key, [])))[
                :MAX_CANDIDATES
            ]
            if candidates:
                stacked = np.frombuffer(
                    b"".join(members[mid].signature for mid in candidates), dtype=np.uint32
                )
                agreement = (stacked.reshape(len(candidates), NUM_PERM) == values).mean(axis=1)
                best = int(np.argmax(agreement))
                if agreement[best] >= THRESHOLD:
                    match_id, score = candidates[best], float(agreement[best])
        cluster_id: str | None = None
        if match_id is not None:
            match = members[match_id]
            cluster_id = match.cluster_id
            if cluster_id is None:
                cluster_id = new_cluster_id(match.message_id)
                seeded[match.message_id] = cluster_id
                members[match.message_id] = Member(match.message_id, cluster_id, match.signature)
                events.append(_joined(match.message_id, cluster_id, 1.0, None, clock))
            events.append(_joined(message_id, cluster_id, score, match_id, clock))
        raw = values.tobytes()
        members[message_id] = Member(message_id, cluster_id, raw)
        digest_member.setdefault(digest, message_id)
        for key in keys:
            key_members.setdefault(key, []).append(message_id)
        entries.append(Indexed(message_id, digest, raw, tuple(keys), cluster_id))
    # Seeds that are new in this batch are saved with their cluster; only older ones need updating.
    fresh = {entry.message_id for entry in entries}
    entries = [
        Indexed(e.message_id, e.text_hash, e.signature, e.band_keys, seeded.get(e.message_id, e.cluster_id))
        for e in entries
    ]
    index.save(entries, {mid: cid for mid, cid in seeded.items() if mid not in fresh})
    return events
