"""Clusters of exact and near-duplicate messages: pile-ons repeat the same words.

Each message's text is normalised, hashed whole (exact duplicates) and summarised as a MinHash
signature with its LSH band keys (`hustings.messages.similarity`). Two messages that share any
band are candidates, and a candidate whose estimated Jaccard similarity reaches `THRESHOLD` is a
near-duplicate. Band keys and text hashes are stored in indexed columns, so finding a message's
cluster is a few index lookups, not a scan.

A message joins the cluster of the member it resembles most (an exact duplicate first); a
cluster is made when a message first matches one that has none. Joining is a `cluster.joined`
event on the message, so the status's `cluster_id` is derived from the log like everything
else. Clusters are not merged when a message resembles two of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hustings.clock import Clock
from hustings.events import SYSTEM_ACTOR, Event
from hustings.messages.events import SUBJECT
from hustings.messages.similarity import band_keys, closest, from_bytes, normalise, signatures, text_hash
from hustings.moderation.events import CLUSTER_JOINED, ClusterJoined

THRESHOLD = 0.7
"""Estimated Jaccard similarity of 5-gram sets at or above which two texts are near-duplicates:
high, because one decision may be applied to a whole cluster."""
MIN_LENGTH = 12
"""Normalised texts shorter than this ("ok", "lol") would cluster everything; they join no cluster."""
MAX_CANDIDATES = 200
"""At most this many candidates are compared per message (a very common phrase shares bands with many)."""
MAX_PER_BAND = 50
"""An index returns at most this many members per band key: a band shared by very many messages
adds little, so the first few (by message id) are kept."""


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
    """Where signatures and band keys are kept (SQL in `hustings.storage.moderation`, in memory in
    `hustings.moderation.memory`). Never commits."""

    def lookup(
        self, digests: Sequence[str], keys: Sequence[str]
    ) -> tuple[dict[str, Member], dict[str, list[Member]]]:
        """For a batch: one member with each text hash (one in a cluster first, then by message
        id), and the first `MAX_PER_BAND` members by message id sharing each band key."""
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
            best, agreement = closest([from_bytes(members[mid].signature) for mid in candidates], values)
            if best >= 0 and agreement >= THRESHOLD:
                match_id, score = candidates[best], agreement
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
