"""A NATS server with JetStream per test, and workers run as their own processes (to kill -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from hustings.settings import Settings
from hustings.storage.database import make_engine, upgrade
from tests.conftest import _unavailable
from tests.natsserver import NatsUnavailable, TempNats

SRC = Path(__file__).resolve().parents[2] / "src"
GUARD_SECONDS = 180.0
"""How long a test waits for workers before it gives up: a guard against a hang, never asserted."""


@pytest.fixture
def nats_server() -> Iterator[TempNats]:
    try:
        server = TempNats()
        server.start()
    except NatsUnavailable as error:
        _unavailable(f"NATS unavailable: {error}")
        return
    try:
        yield server
    finally:
        server.stop()


def broker_env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    """The environment a web process, CLI or worker on this broker and database runs with."""
    return {
        "HUSTINGS_ENVIRONMENT": "test",
        "HUSTINGS_DATA_DIR": str(tmp_path / "data"),
        "HUSTINGS_BROKER_URL": url,
        "HUSTINGS_BROKER_PARTITIONS": "4",
        "HUSTINGS_WORKER_BATCH": "100",
        "HUSTINGS_WORKER_LEASE_SECONDS": "2",
        "HUSTINGS_WORKER_ACK_WAIT_SECONDS": "3",
        "HUSTINGS_BROKER_TIMEOUT_SECONDS": "2",
        "HUSTINGS_ASSESS_ON_INGEST": "false",
        "HUSTINGS_DETECT_THREADS": "1",
        "HUSTINGS_LOG_LEVEL": "WARNING",
    } | extra


def settings_from(env: dict[str, str]) -> Settings:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def stored_engine(tmp_path: Path) -> Iterator[Engine]:
    """The SQLite database the workers write to (a file, shared between processes)."""
    (tmp_path / "data").mkdir(exist_ok=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'hustings.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


StartWorker = Callable[[dict[str, str]], subprocess.Popen[bytes]]


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[StartWorker]:
    started: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from hustings.cli.main import app; app()",
                "worker",
                "--id",
                f"w{len(started)}",
            ],
            env=os.environ | {"PYTHONPATH": str(SRC)} | env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def wait_until(condition: Callable[[], bool], what: str, guard: float = GUARD_SECONDS) -> None:
    """Poll `condition` until it holds; `guard` only stops a hung run (nothing here is timed)."""
    deadline = time.monotonic() + guard
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)
