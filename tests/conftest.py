"""Fixtures for every lane: domain (no database), SQLite and PostgreSQL (each test rolled
back), and browser tests against a live server in Debian's Chromium.

With CI=true a missing PostgreSQL or Chromium fails the run instead of skipping.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from hustings.auth.model import Role, User
from hustings.clock import Clock, FixedClock
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, upgrade
from hustings.web.access import Access, write_lines
from hustings.web.app import create_app
from hustings.web.deps import get_access_sink, get_session
from tests.pgserver import PostgresUnavailable, TempPostgres

T = TypeVar("T")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"
T0 = datetime(2026, 5, 7, 9, 0, tzinfo=UTC)  # polling day, 9am


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get("HUSTINGS_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        server = TempPostgres()
        url = server.start()
    except PostgresUnavailable as error:
        _unavailable(f"PostgreSQL unavailable: {error}")
        return
    try:
        yield url
    finally:
        server.stop()


@contextmanager
def scratch_database(postgres_url: str, name: str) -> Iterator[str]:
    """A PostgreSQL database of its own on the suite's server, dropped afterwards; yields its URL."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_database(postgres_url: str, name: str) -> Iterator[Engine]:
    """A scratch database (see `scratch_database`) at the current schema; yields its engine."""
    with scratch_database(postgres_url, name) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with migrated_database(postgres_url, f"hustings_test_{os.getpid()}") as engine:
        yield engine


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database of its own, for a race between committed transactions,
    which the rolled-back `session` cannot give."""
    with migrated_database(postgres_url, f"hustings_fresh_{os.getpid()}") as engine:
        yield engine


def race_behind(second: Callable[[], T], release_first: Callable[[], object]) -> T | BaseException:
    """Run `second` on a thread of its own while a first writer holds its uncommitted writes; give
    it a second to reach them and wait there, then `release_first` (commit the first writer).

    Returns what `second` returned, or the error it raised.
    """
    outcome: list[T | BaseException] = []

    def run() -> None:
        try:
            outcome.append(second())
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(1.0)
    release_first()
    thread.join(timeout=20)
    (result,) = outcome
    return result


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each test that uses this runs twice: on SQLite and on a real PostgreSQL."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    found: Engine = request.getfixturevalue(fixture)
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database with no schema, on SQLite and on PostgreSQL, for migration tests."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield engine
        engine.dispose()
        return
    with scratch_database(request.getfixturevalue("postgres_url"), "hustings_bare_migration") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside a transaction rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside a transaction rolled back after the test."""
    with rolled_back(engine) as db:
        yield db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI: a throwaway data folder, no detector on ingest, quiet logs."""
    return {
        "HUSTINGS_DATA_DIR": str(tmp_path / "data"),
        "HUSTINGS_ASSESS_ON_INGEST": "false",
        "HUSTINGS_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test", data_dir=tmp_path, assess_on_ingest=False, log_json=False, log_level="WARNING"
    )


@pytest.fixture
def services(session: Session, settings: Settings, clock: FixedClock) -> Services:
    return Services(session=session, settings=settings, clock=clock)


# ---------------------------------------------------------------- API


class RolledBackAccessLog:
    """The access log written at once into the test's session, and rolled back with it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def submit(self, lines: list[Access]) -> None:
        write_lines(self.session, lines)
        self.session.commit()


def app_in(session: Session, engine: Engine, settings: Settings, clock: Clock) -> FastAPI:
    """The app, with every request and its access log in `session` (see `rolled_back`)."""
    application = create_app(settings, engine=engine, clock=clock)

    def rolled_back_session() -> Iterator[Session]:
        yield session

    application.dependency_overrides[get_session] = rolled_back_session
    application.dependency_overrides[get_access_sink] = lambda: RolledBackAccessLog(session)
    application.state.lookup_session = lambda: nullcontext(session)
    return application


@pytest.fixture
def app(engine: Engine, session: Session, settings: Settings, clock: FixedClock) -> FastAPI:
    return app_in(session, engine, settings, clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


MakeUser = Callable[..., tuple[User, str]]


@pytest.fixture
def make_user(services: Services, clock: FixedClock) -> MakeUser:
    """Create a user with `roles`; return it and an API token."""
    counter = iter(range(10_000))

    def make(
        *roles: Role, password: str | None = None, target_ids: tuple[str, ...] = (), name: str | None = None
    ) -> tuple[User, str]:
        user = services.users.create(
            name or f"user{next(counter)}",
            set(roles),
            now=clock.now(),
            password=password,
            target_ids=target_ids,
        )
        # No lifetime: tests move the clock by months; expiry has its own tests (tests/auth).
        token = services.users.issue_token(user.id, now=clock.now(), expires_at=None)
        services.session.commit()
        return user, token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sample_message(external_id: str = "1", **overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "source": "x",
        "external_id": external_id,
        "text": "Your housing policy is a disgrace and you should resign.",
        "created_at": "2026-05-06T21:15:00+00:00",
        "author": {"id": "a1", "handle": "@voter", "followers": 10, "created_at": "2020-01-01T00:00:00Z"},
        "targets": ["@priya"],
    }
    message.update(overrides)
    return message


# ---------------------------------------------------------------- live server and browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """Hustings served by uvicorn in a thread, on a fresh SQLite database."""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None, **settings: Any) -> None:
        import uvicorn

        self.settings = Settings(
            environment="test",
            data_dir=data_dir,
            **({"assess_on_ingest": False, "log_json": False, "log_level": "WARNING"} | settings),
        )
        self.engine = make_engine(self.settings.sqlalchemy_url)
        upgrade(self.engine)
        self.app = create_app(self.settings, engine=self.engine, clock=clock)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the live server did not start within 20 s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.engine.dispose()

    def services(self) -> Services:
        from hustings.storage.database import make_sessionmaker

        return Services(session=make_sessionmaker(self.engine)(), settings=self.settings)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def login(page: Any, base_url: str, name: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
