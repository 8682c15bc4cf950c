"""The cursor store contract, on the in-memory twin and on SQL (SQLite and PostgreSQL): a
position recorded is the one read back, a later one replaces it, connectors do not share."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hustings.connectors.cursor import CursorStore, MemoryCursorStore
from hustings.storage.connectors import SqlCursorStore

AT = datetime(2026, 5, 6, 18, 0, tzinfo=UTC)


def test_the_memory_twin_keeps_positions() -> None:
    _positions_kept(MemoryCursorStore())


def test_sql_keeps_positions(session: Session) -> None:
    _positions_kept(SqlCursorStore(session))


def _positions_kept(store: CursorStore) -> None:
    assert store.position("bluesky wss://a") is None
    store.record("bluesky wss://a", "1778089560000000", AT)
    store.record("mastodon https://b", "34975861", AT)
    store.record("bluesky wss://a", "1778089625000000", AT)
    assert store.position("bluesky wss://a") == "1778089625000000"
    assert store.position("mastodon https://b") == "34975861"
    assert store.all() == [
        ("bluesky wss://a", "1778089625000000", AT),
        ("mastodon https://b", "34975861", AT),
    ]
