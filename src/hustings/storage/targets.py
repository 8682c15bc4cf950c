"""Targets and their handles in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hustings.errors import Conflict, NotFound
from hustings.messages.model import normalise_handle
from hustings.places import checked_place
from hustings.storage.bulk import insert_rows
from hustings.storage.tables import TargetHandleRow, TargetRow, UserRow, UserTargetRow
from hustings.targets.model import Target, TargetRole, new_target_id


class TargetStore:
    """Never commits: the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _to_target(self, row: TargetRow) -> Target:
        handles = self.session.execute(
            select(TargetHandleRow.platform, TargetHandleRow.handle)
            .where(TargetHandleRow.target_id == row.id)
            .order_by(TargetHandleRow.platform, TargetHandleRow.handle)
        )
        return Target(
            id=row.id,
            name=row.name,
            role=TargetRole(row.role),
            party=row.party,
            constituency=row.constituency,
            handles=tuple((platform, handle) for platform, handle in handles),
            country=row.country,
            nation=row.nation,
        )

    def create(
        self,
        *,
        name: str,
        role: TargetRole,
        party: str | None,
        constituency: str | None,
        handles: Sequence[tuple[str, str]],
        now: datetime,
        target_id: str | None = None,
        country: str | None = None,
        nation: str | None = None,
    ) -> Target:
        """Register a target; `InvalidInput` naming the field for a country or nation not known."""
        country, nation = checked_place(country, nation)
        row = TargetRow(
            id=target_id or new_target_id(),
            name=name,
            role=role.value,
            party=party,
            constituency=constituency,
            created_at=now,
            country=country,
            nation=nation,
        )
        self.session.add(row)
        self.session.flush()
        self.add_handles(row.id, handles)
        return self._to_target(row)

    def create_many(self, targets: Sequence[Target], *, now: datetime) -> None:
        """Insert many targets and their handles at once, for imports of thousands.

        The caller has made sure that no handle is another target's (a handle taken meanwhile is
        refused by the table's key, as a bug would be); handles are stored as given, normalised.
        """
        insert_rows(
            self.session,
            TargetRow,
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "role": t.role.value,
                    "party": t.party,
                    "constituency": t.constituency,
                    "created_at": now,
                    "country": t.country,
                    "nation": t.nation,
                }
                for t in targets
            ],
        )
        insert_rows(
            self.session,
            TargetHandleRow,
            [{"platform": p, "handle": h, "target_id": t.id} for t in targets for p, h in t.handles],
        )

    def add_handles(self, target_id: str, handles: Sequence[tuple[str, str]]) -> None:
        """Register handles to the target; `Conflict` if one is another target's, nothing if it is already theirs."""
        for platform, handle in handles:
            key = (platform.strip().lower(), normalise_handle(handle))
            existing = self.session.get(TargetHandleRow, key)
            if existing is not None and existing.target_id != target_id:
                raise Conflict(f"handles: {key[0]} handle @{key[1]} already belongs to another target")
            if existing is None:
                self.session.add(TargetHandleRow(platform=key[0], handle=key[1], target_id=target_id))
        self.session.flush()

    def remove_handles(self, target_id: str, handles: Sequence[tuple[str, str]]) -> None:
        """Unregister those of `handles` that are the target's."""
        for platform, handle in handles:
            existing = self.session.get(TargetHandleRow, (platform.strip().lower(), normalise_handle(handle)))
            if existing is not None and existing.target_id == target_id:
                self.session.delete(existing)
        self.session.flush()

    def update(self, target_id: str, *, name: str, party: str | None, constituency: str | None) -> None:
        row = self.session.get(TargetRow, target_id)
        if row is None:
            raise NotFound(f"target: no target with id {target_id!r}")
        row.name, row.party, row.constituency = name, party, constituency
        self.session.flush()

    def set_place(self, target_id: str, *, country: str | None, nation: str | None) -> Target:
        """Record where the target is (`hustings.places.checked_place`); None clears it."""
        row = self.session.get(TargetRow, target_id)
        if row is None:
            raise NotFound(f"target: no target with id {target_id!r}")
        row.country, row.nation = checked_place(country, nation)
        self.session.flush()
        return self._to_target(row)

    def count(self) -> int:
        """How many targets are registered."""
        return self.session.scalar(select(func.count()).select_from(TargetRow)) or 0

    def get(self, target_id: str) -> Target | None:
        row = self.session.get(TargetRow, target_id)
        return None if row is None else self._to_target(row)

    def all(self) -> list[Target]:
        return [
            self._to_target(row) for row in self.session.scalars(select(TargetRow).order_by(TargetRow.name))
        ]

    def add_user(self, user_id: str, target_id: str) -> None:
        """Let a user act for (or be) a target; adding twice changes nothing."""
        if self.session.get(TargetRow, target_id) is None:
            raise NotFound(f"target: no target with id {target_id!r}")
        if self.session.get(UserRow, user_id) is None:
            raise NotFound(f"user_id: no user with id {user_id!r}")
        if self.session.get(UserTargetRow, (user_id, target_id)) is None:
            self.session.add(UserTargetRow(user_id=user_id, target_id=target_id))
            self.session.flush()

    def users_of(self, target_id: str) -> list[tuple[str, str, list[str]]]:
        """(user id, name, roles) of every user who is or acts for the target, by name."""
        rows = self.session.execute(
            select(UserRow.id, UserRow.name, UserRow.roles)
            .join(UserTargetRow, UserTargetRow.user_id == UserRow.id)
            .where(UserTargetRow.target_id == target_id)
            .order_by(UserRow.name)
        )
        return [(user_id, name, list(roles)) for user_id, name, roles in rows]
