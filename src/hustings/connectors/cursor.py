"""Where a connector has read its source up to, kept so that a restart resumes from it.

A position is the source's own: Jetstream's `time_us`, a Mastodon notification id. It is
recorded in the same transaction as the batch it ends, so what is stored and where the
connector resumes never disagree: a crash before the commit replays the batch (ingest is
idempotent by id, so nothing is stored twice), one after it resumes past the batch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class CursorStore(Protocol):
    """Connector positions by connector name. Implementations never commit."""

    def position(self, connector: str) -> str | None:
        """The last position recorded for `connector`, or None where it has never run."""
        ...

    def record(self, connector: str, position: str, at: datetime) -> None: ...

    def all(self) -> list[tuple[str, str, datetime]]:
        """(connector, position, when recorded) for every connector that has run, by name."""
        ...


class MemoryCursorStore:
    """The in-memory twin of `hustings.storage.connectors.SqlCursorStore`."""

    def __init__(self) -> None:
        self.positions: dict[str, tuple[str, datetime]] = {}

    def position(self, connector: str) -> str | None:
        kept = self.positions.get(connector)
        return None if kept is None else kept[0]

    def record(self, connector: str, position: str, at: datetime) -> None:
        self.positions[connector] = (position, at)

    def all(self) -> list[tuple[str, str, datetime]]:
        return [(name, position, at) for name, (position, at) in sorted(self.positions.items())]
