"""Login back-off state in SQL (`hustings.auth.login.BackoffStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hustings.auth.login import BackoffState
from hustings.storage.login_tables import LoginBackoffRow


class SqlBackoffStore:
    """Never commits: the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def states(self, keys: Sequence[str]) -> dict[str, BackoffState]:
        return self._read(select(LoginBackoffRow).where(LoginBackoffRow.key.in_(keys)))

    def lock(self, keys: Sequence[str], *, now: datetime) -> dict[str, BackoffState]:
        """Give each key a row (failures 0, touched `now`) if it has none, and lock them all.

        On PostgreSQL the rows are locked by SELECT ... FOR UPDATE, in key order; on SQLite the
        insert has already taken the database's write lock. Either is held until the
        transaction ends, so two logins on one key are settled one after the other.
        """
        if keys:
            dialect = self.session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            self.session.execute(
                insert(LoginBackoffRow)
                .values([{"key": key, "failures": 0, "updated_at": now} for key in keys])
                .on_conflict_do_nothing(index_elements=["key"])
            )
        query = select(LoginBackoffRow).where(LoginBackoffRow.key.in_(keys)).order_by(LoginBackoffRow.key)
        return self._read(query.with_for_update())

    def _read(self, query: Select[LoginBackoffRow]) -> dict[str, BackoffState]:
        return {
            row.key: BackoffState(row.failures, row.updated_at, row.blocked_until)
            for row in self.session.scalars(query.execution_options(populate_existing=True))
        }

    def save(self, key: str, state: BackoffState) -> None:
        row = self.session.get(LoginBackoffRow, key)
        if row is None:
            row = LoginBackoffRow(key=key)
            self.session.add(row)
        row.failures = state.failures
        row.updated_at = state.updated_at
        row.blocked_until = state.blocked_until
        self.session.flush()

    def clear(self, keys: Sequence[str]) -> None:
        self.session.execute(delete(LoginBackoffRow).where(LoginBackoffRow.key.in_(keys)))

    def forget(self, before: datetime) -> None:
        self.session.execute(delete(LoginBackoffRow).where(LoginBackoffRow.updated_at < before))
