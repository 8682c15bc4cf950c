"""Engines, sessions and units of work: embedded SQLite (WAL) by default, PostgreSQL when configured.

A unit of work is one transaction: it commits if the work succeeds and rolls back otherwise.
Storage functions never commit; those that write call `require_transaction` first.

SQLite admits one writer at a time. A unit of work that writes opens with ``BEGIN IMMEDIATE``, so
it takes the write lock before it reads, instead of reading first and failing with "database is
locked" when another writer committed in between. SQLite's busy handler polls, and among many
writers some would starve past any timeout, so this process's writers first queue on a lock of
their own (`_Writers`) and each BEGIN IMMEDIATE finds the database free, or held by another
process (a CLI command), which the busy timeout covers. Readers never wait in WAL mode.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from hustings.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
WRITES = "hustings_writes"
"""Execution option on a connection whose transaction will write: SQLite begins it IMMEDIATE."""
BUSY_TIMEOUT_MS = 10_000
WRITER_WAIT_S = 120.0
"""How long a writer waits its turn behind this process's other writers before giving up."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself
    # (the recipe in SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


class _Writers:
    """The queue of this process's writers to one SQLite database: one at a time holds `lock`
    from its BEGIN IMMEDIATE to its COMMIT or ROLLBACK (or, at the latest, until its connection
    goes back to the pool)."""

    KEY = "hustings_write_lock"

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def begin(self, connection: Any) -> None:
        if not connection.get_execution_options().get(WRITES, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not self.lock.acquire(timeout=WRITER_WAIT_S):
            raise TimeoutError(f"waited {WRITER_WAIT_S:.0f} s for the other writers to the database")
        connection.info[self.KEY] = self.lock
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: Any) -> None:
        self.release(connection.info)

    def checkin(self, _dbapi_connection: Any, record: Any) -> None:
        self.release(record.info)

    def release(self, info: dict[str, Any]) -> None:
        lock = info.pop(self.KEY, None)
        if lock is not None:
            lock.release()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL mode, foreign keys and a busy timeout on every connection.

    Errors never quote their SQL parameters (``hide_parameters``): those are handles, message
    text and password hashes, and an error's text reaches logs and terminals.
    """
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            _private_file(Path(database))
        # A connection per concurrent request; SQLite connections are cheap, so the pool is wide.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
            pool_size=20,
            max_overflow=20,
        )
        writers = _Writers()
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", writers.begin)
        event.listen(engine, "commit", writers.end)
        event.listen(engine, "rollback", writers.end)
        event.listen(engine, "checkin", writers.checkin)
        return engine
    # PostgreSQL would keep a generic plan for a prepared statement (psycopg prepares one after
    # five runs), planned without the parameters' values: for the `= ANY(:array)` lookups
    # (`storage.bulk.among`) on a table that was small when it was planned, that is a sequential
    # scan testing each row against the whole array, so a batch's lookups grow with the table
    # (measured: the cluster-band lookup went from 5 to 170 ms per query over 3,000 messages and
    # held PostgreSQL's CPU). A custom plan per run sees the array and the table as they are.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        hide_parameters=True,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )


def _private_file(database: Path) -> None:
    """Create the SQLite file 0600 in a folder made 0700, as evidence packs are: messages are personal data.

    SQLite gives its -wal and -shm files the database file's mode. An existing folder is left as
    its owner set it.
    """
    database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not database.exists():
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))


def engine_from_settings(settings: Settings) -> Engine:
    return make_engine(settings.sqlalchemy_url)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def open_session(factory: sessionmaker[Session], *, writes: bool) -> Session:
    """A new session. One that `writes` begins its transaction as a writer (on SQLite: BEGIN
    IMMEDIATE, in turn behind this process's other writers) when it first touches the database."""
    if not writes:
        return factory()
    engine: Engine = factory.kw["bind"]
    return factory(bind=engine.execution_options(**{WRITES: True}))


def require_transaction(session: Session) -> None:
    """Refuse to write outside a unit of work: the caller owns the transaction, and must open it."""
    if not session.in_transaction():
        raise RuntimeError(
            "this writes to storage, so it needs an open transaction: run it in a unit of work"
        )


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Undo only this block's writes if it raises, and re-raise; the unit of work goes on.

    For a page that shows an expected failure as a message instead of an error status: the
    request still succeeds, so its unit of work commits, but nothing the failed step wrote.
    """
    require_transaction(session)
    with session.begin_nested():
        yield


@contextmanager
def transaction(factory: sessionmaker[Session], *, writes: bool) -> Iterator[Session]:
    """A session over one transaction: committed if the block succeeds, rolled back otherwise."""
    with open_session(factory, writes=writes) as session:
        session.begin()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, progress: Callable[[str], None] | None = None) -> None:
    """Bring the schema to the newest revision of every branch, then the data derived in SQL
    that a migration cannot fill: the transparency report's aggregates, rebuilt from the log
    once where they were never built from it (an installation with events from before they
    existed). `progress` is told what the rebuild is doing; nothing where there is none."""
    from hustings.storage.transparency_aggregates import SqlTransparencyAggregates

    command.upgrade(alembic_config(engine), "heads")
    tell = progress or (lambda _line: None)

    def read_so_far(read: int) -> None:
        if read:  # a new installation's empty log is not worth a line
            tell(f"transparency aggregates: {read} events read from the log")

    with transaction(make_sessionmaker(engine), writes=True) as session:
        counted = SqlTransparencyAggregates(session).catch_up(read_so_far)
    if counted:
        tell(f"rebuilt the transparency report's aggregates from {counted} events written before them")


def is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == set(script.get_heads())
