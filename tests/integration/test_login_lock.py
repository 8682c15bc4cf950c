"""Concurrent logins on one key are settled one after the other, so a burst of guesses cannot
slip past a block: `SqlBackoffStore.lock` holds its keys until the transaction ends."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hustings.auth.login import BackoffState
from hustings.storage.database import make_engine, upgrade
from hustings.storage.login import SqlBackoffStore
from tests.conftest import T0, migrated_database

KEYS = ["account:a", "pair:b"]


def test_on_sqlite_a_second_writer_cannot_lock_the_same_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.sqlite3'}")
    upgrade(engine)
    with Session(engine) as first, Session(engine) as second:
        SqlBackoffStore(first).lock(KEYS, now=T0)
        second.execute(text("PRAGMA busy_timeout=0"))  # refuse at once instead of waiting
        with pytest.raises(OperationalError, match="database is locked"):
            SqlBackoffStore(second).lock(KEYS, now=T0)
        first.commit()
        assert set(SqlBackoffStore(second).lock(KEYS, now=T0)) == set(KEYS)
    engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_a_second_login_waits_and_then_sees_the_first_ones_block(postgres_url: str) -> None:
    with migrated_database(postgres_url, "hustings_login_lock") as engine:
        blocked = BackoffState(failures=6, updated_at=T0, blocked_until=T0 + timedelta(seconds=1))
        seen: dict[str, BackoffState] = {}
        with Session(engine) as earlier:  # the keys have rows already, from earlier failures
            SqlBackoffStore(earlier).lock(KEYS, now=T0)
            earlier.commit()
        with Session(engine) as first:
            store = SqlBackoffStore(first)
            store.lock(KEYS, now=T0)  # the first login has looked, and not yet decided

            def second_login() -> None:
                with Session(engine) as second:
                    seen.update(SqlBackoffStore(second).lock(KEYS, now=T0))
                    second.commit()

            waiter = threading.Thread(target=second_login)
            waiter.start()
            wait_until_a_backend_waits_on_a_lock(engine)
            assert not seen  # still waiting for the first login to finish
            for key in KEYS:
                store.save(key, blocked)
            first.commit()
        waiter.join(timeout=30)
        assert seen == dict.fromkeys(KEYS, blocked)


def wait_until_a_backend_waits_on_a_lock(engine: Engine) -> None:
    deadline = time.monotonic() + 30
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar_one()
            if waiting:
                return
            watcher.rollback()
            time.sleep(0.02)
    raise AssertionError("the second login never waited for the first one's lock")
