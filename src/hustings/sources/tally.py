"""What reading a platform's records came to: messages stored, duplicates, rejections by where,
skipped things by kind, edits and deletions; shared by `hustings ingest --format` and
`hustings connect`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hustings.messages.changes import ChangeResult
from hustings.messages.ingest import IngestResult
from hustings.sources import Converted


@dataclass
class Tally:
    accepted: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """(where, error): the converters' in the order of the records, then any ingest refused."""
    edits: int = 0
    deletions: int = 0
    changes_known: int = 0
    """Edits and deletions already recorded, and edits to the text a message already reads."""
    changes_not_held: int = 0
    """Edits and deletions of messages Hustings does not hold."""
    changes_queued: int = 0
    """With a broker: edits and deletions published for the workers to apply."""

    def count_changes(self, changes: ChangeResult) -> None:
        self.edits += changes.edits
        self.deletions += changes.deletions
        self.changes_known += changes.duplicates
        self.changes_not_held += changes.not_held
        self.changes_queued += changes.queued

    def changes_line(self) -> str | None:
        """The edits and deletions at source, where there were any."""
        if not (
            self.edits or self.deletions or self.changes_known or self.changes_not_held or self.changes_queued
        ):
            return None
        return (
            f"edited {self.edits}, deleted at source {self.deletions}, "
            f"already recorded {self.changes_known}, of messages not held {self.changes_not_held}"
            + (f", published for the workers {self.changes_queued}" if self.changes_queued else "")
        )


def count_batch(
    tally: Tally, converted: list[Converted], result: IngestResult, changes: ChangeResult
) -> None:
    tally.accepted += result.accepted
    tally.duplicates += result.duplicates
    tally.rejected.extend(
        (converted[rejection.index].where, rejection.error) for rejection in result.rejected
    )
    tally.count_changes(changes)
