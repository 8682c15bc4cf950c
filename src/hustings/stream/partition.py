"""Which partition a message goes to: all of one target's messages on one subject, in order."""

from __future__ import annotations

import zlib

from hustings.messages.model import MessageIn, normalise_handle

STREAM = "HUSTINGS_MESSAGES"
SUBJECT_PREFIX = "hustings.messages"
ACTOR_HEADER = "Hustings-Actor"
"""Who ingested the message, for its `message.ingested` event."""
MESSAGE_ID_HEADER = "Nats-Msg-Id"
"""JetStream's de-duplication key: the message's Hustings id, so a retried publish is stored once."""


def subject(partition: int) -> str:
    return f"{SUBJECT_PREFIX}.{partition}"


def durable(partition: int) -> str:
    """The durable pull consumer of `partition` (one per partition, held by one worker at a time)."""
    return f"partition-{partition}"


def partition_of(item: MessageIn, partitions: int) -> int:
    """The partition of a message: by its first target's (source, handle), else by its author.

    A stable hash (CRC-32), so every web process and CLI agrees without coordination.
    """
    key = (
        f"{item.source}\x1f{normalise_handle(item.targets[0])}"
        if item.targets
        else f"{item.source}\x1fauthor\x1f{item.author.id}"
    )
    return zlib.crc32(key.encode("utf-8")) % partitions
