"""Event logs for transparency tests, built directly per the moderation event contract."""

from __future__ import annotations

import json
from pathlib import Path

from hustings.clock import parse_iso
from hustings.events import Event

GOLDEN = Path(__file__).parent / "golden"


def load_log(path: Path) -> list[Event]:
    """A JSON Lines event log: one object per line with kind, subject, actor, time and payload."""
    events = []
    for seq, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        occurred_at = parse_iso(raw["occurred_at"])
        assert occurred_at is not None
        events.append(
            Event(
                kind=raw["kind"],
                subject_type=raw["subject_type"],
                subject_id=raw["subject_id"],
                actor=raw["actor"],
                occurred_at=occurred_at,
                idempotency_key=f"golden:{seq}",
                payload=raw["payload"],
                seq=seq,
            )
        )
    return events


def load_roles() -> dict[str, str]:
    roles: dict[str, str] = json.loads((GOLDEN / "targets.json").read_text(encoding="utf-8"))
    return roles
