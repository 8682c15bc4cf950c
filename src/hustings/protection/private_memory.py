"""A `PrivateDetailStore` in plain dicts, so the register's domain tests need no database."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from hustings.events.log import InMemoryEventStore
from hustings.events.model import Status
from hustings.protection.private import REGISTER
from hustings.protection.private_service import SealedDetail


class InMemoryPrivateDetailStore:
    def __init__(self, events: InMemoryEventStore) -> None:
        self.events = events
        self.rows: dict[str, SealedDetail] = {}
        self.targets: set[str] = set()
        self.evidence: dict[str, list[tuple[int, int]]] = {}

    def add_target(self, target_id: str) -> None:
        self.targets.add(target_id)

    def sealed(self, target_ids: Collection[str]) -> list[SealedDetail]:
        wanted = set(target_ids)
        return sorted(
            (d for d in self.rows.values() if d.target_id in wanted), key=lambda d: (d.added_at, d.id)
        )

    def add(self, detail: SealedDetail) -> None:
        self.rows[detail.id] = detail

    def remove(self, target_id: str, detail_id: str) -> SealedDetail | None:
        detail = self.rows.get(detail_id)
        if detail is None or detail.target_id != target_id:
            return None
        return self.rows.pop(detail_id)

    def all_sealed(self) -> list[SealedDetail]:
        return [self.rows[key] for key in sorted(self.rows)]

    def replace_sealed(self, detail_id: str, sealed: str) -> None:
        old = self.rows[detail_id]
        self.rows[detail_id] = SealedDetail(old.id, old.target_id, old.kind, sealed, old.added_at)

    def status(self, target_id: str) -> Status | None:
        return self.events.statuses.get((REGISTER, target_id))

    def target_exists(self, target_id: str) -> bool:
        return target_id in self.targets

    def doxxing_evidence(self, message_ids: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        return {mid: self.evidence[mid] for mid in message_ids if mid in self.evidence}
