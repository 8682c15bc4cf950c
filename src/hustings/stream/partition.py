"""Which partition a message goes to: all of one target's messages on one subject, in order."""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from hustings.messages.model import MessageIn, normalise_handle

STREAM = "HUSTINGS_MESSAGES"
SUBJECT_PREFIX = "hustings.messages"
ACTOR_HEADER = "Hustings-Actor"
"""Who ingested the message, for its `message.ingested` event."""
ORIGIN_HEADER = "Hustings-Origin"
"""Present when the payload is ``{"message": ..., "origin": ...}``: a message read from a platform's
record, published with its origin (`hustings.messages.model.Origin.to_json`)."""
MESSAGE_ID_HEADER = "Nats-Msg-Id"
"""JetStream's de-duplication key: the message's Hustings id, so a retried publish is stored once."""


CHANGES_SUBJECT = f"{SUBJECT_PREFIX}.changes"
"""Edits and deletions at the source (`hustings.messages.changes.SourceChange`), one subject for
all: a change carries no targets, so its message's partition cannot be told before that message
is stored. Consumed by the holder of partition 0's lease (see `hustings.stream.worker`)."""
CHANGES_DURABLE = "changes"


def subject(partition: int) -> str:
    return f"{SUBJECT_PREFIX}.{partition}"


def durable(partition: int) -> str:
    """The durable pull consumer of `partition` (one per partition, held by one worker at a time)."""
    return f"partition-{partition}"


def partition_of(item: MessageIn, partitions: int, targets: Mapping[tuple[str, str], str]) -> int:
    """The partition of a message: by its first registered target, else its first handle, else its author.

    `targets` maps (source, normalised handle) to the registered target's id (what ingest's
    `resolve_targets` returns), so one target's handles on several sources share a partition.
    A stable hash (CRC-32), so every web process and CLI agrees without coordination.
    """
    refs = [(item.source, normalise_handle(ref)) for ref in item.targets]
    registered = next((targets[ref] for ref in refs if ref in targets), None)
    if registered is not None:
        return partition_of_target(registered, partitions)
    key = "handle\x1f" + "\x1f".join(refs[0]) if refs else f"author\x1f{item.source}\x1f{item.author.id}"
    return zlib.crc32(key.encode("utf-8")) % partitions


def partition_of_target(target_id: str, partitions: int) -> int:
    """The partition of a registered target's messages, and so of its pile-on state."""
    return zlib.crc32(f"target\x1f{target_id}".encode()) % partitions
