"""The reducer for message subjects: a message's life as an item of moderation work.

Pure: no storage, no clock. The state of a message subject moves as events arrive:
``ingested`` -> ``assessed``. Later stages (reported, claimed, decided, appealed) extend this
reducer as the moderation workflow lands.
"""

from __future__ import annotations

from typing import Any

from hustings.events.model import Event, Status, initial_status

SUBJECT = "message"

MESSAGE_INGESTED = "message.ingested"
MESSAGE_ASSESSED = "message.assessed"


def reduce_message(status: Status | None, event: Event) -> Status:
    """Fold one event into a message subject's status."""
    current = status or initial_status(event, state="ingested")
    data: dict[str, Any] = dict(current.data)
    if event.kind == MESSAGE_INGESTED:
        data.update(
            source=event.payload.get("source"),
            author_id=event.payload.get("author_id"),
            target_ids=list(event.payload.get("target_ids", [])),
            created_at=event.payload.get("created_at"),
        )
        targets = data["target_ids"]
        return current.evolve(
            state=current.state if status else "ingested",
            data=data,
            target_id=targets[0] if targets else current.target_id,
        )
    if event.kind == MESSAGE_ASSESSED:
        flagged = list(event.payload.get("flagged", []))
        data.update(
            flagged=flagged,
            severity=float(event.payload.get("severity", 0.0)),
            model=event.model,
        )
        return current.evolve(
            state="assessed" if current.state == "ingested" else current.state,
            data=data,
            category=flagged[0] if flagged else current.category,
            priority=max(current.priority, float(event.payload.get("severity", 0.0))),
        )
    raise ValueError(f"message subjects do not take events of kind {event.kind!r}")
