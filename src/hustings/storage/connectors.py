"""Connector cursors in SQL: the `CursorStore` a live connector records its position in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hustings.storage.connectors_tables import ConnectorCursorRow


class SqlCursorStore:
    """Never commits: the caller owns the transaction, so a batch and its position commit together."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def position(self, connector: str) -> str | None:
        row = self.session.get(ConnectorCursorRow, connector)
        return None if row is None else row.position

    def record(self, connector: str, position: str, at: datetime) -> None:
        row = self.session.get(ConnectorCursorRow, connector)
        if row is None:
            self.session.add(ConnectorCursorRow(connector=connector, position=position, updated_at=at))
        else:
            row.position, row.updated_at = position, at
        self.session.flush()

    def all(self) -> list[tuple[str, str, datetime]]:
        """(connector, position, when recorded) for every connector that has run, by name."""
        rows = self.session.scalars(select(ConnectorCursorRow).order_by(ConnectorCursorRow.connector))
        return [(row.connector, row.position, row.updated_at) for row in rows]
