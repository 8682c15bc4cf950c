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


def load_places() -> dict[str, dict[str, str]]:
    """Each golden target's country and nation."""
    places: dict[str, dict[str, str]] = json.loads((GOLDEN / "places.json").read_text(encoding="utf-8"))
    return places


def place_labels() -> dict[str, str]:
    """Each golden target's place, as the report labels it."""
    from hustings.places import place_of

    return {target_id: place_of(p.get("country"), p.get("nation")) for target_id, p in load_places().items()}
