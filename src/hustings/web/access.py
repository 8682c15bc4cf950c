"""The access log: who viewed or exported what, written beside the requests, never in them.

A request collects its lines in an `AccessLog`; when the response has gone, they are handed to
the app's `AccessLogWriter`, which writes whatever has gathered in one short transaction of its
own on a thread of its own. So the access log never makes a GET a writer, never blocks the
request it records, and never fails it: a batch that cannot be written is logged and counted
(`hustings_access_log_failures_total`), not raised. Under load the batches grow, so many reads
cost the database one write, not one each.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker

from hustings.auth.model import Principal
from hustings.clock import Clock
from hustings.storage.database import transaction
from hustings.storage.users import UserStore

log = logging.getLogger("hustings.access")


@dataclass(frozen=True, slots=True)
class Access:
    user_id: str
    action: str
    resource: str
    at: datetime


class AccessSink(Protocol):
    def submit(self, lines: Sequence[Access]) -> None:
        """Take lines to write later; never raises and never waits on the database."""
        ...


class AccessLog:
    """The lines one request adds to the access log, handed on once its response has gone."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.pending: list[Access] = []

    def record(self, user_id: str, action: str, resource: str) -> None:
        self.pending.append(Access(user_id, action, resource[:500], self.clock.now()))

    def export(self, principal: Principal, resource: str) -> None:
        """An 'export' line: who downloaded which file."""
        self.record(principal.user.id, "export", resource)


def write_lines(session: Session, lines: Sequence[Access]) -> None:
    """Add `lines` to the access log in the session's transaction (the caller commits)."""
    store = UserStore(session)
    for line in lines:
        store.record_access(line.user_id, line.action, line.resource, now=line.at)


class AccessLogWriter:
    """Writes access-log lines on a thread of its own, in batches of whatever has gathered."""

    def __init__(self, factory: sessionmaker[Session], failures: Counter) -> None:
        self.factory = factory
        self.failures = failures
        self.queue: queue.Queue[Sequence[Access] | None] = queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def submit(self, lines: Sequence[Access]) -> None:
        if not lines:
            return
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="hustings-access-log", daemon=True)
                self.thread.start()
        self.queue.put(list(lines))

    def flush(self) -> None:
        """Wait until every line submitted so far is written (or counted as failed)."""
        self.queue.join()

    def close(self) -> None:
        """Write what is left and stop the thread (the app's shutdown)."""
        with self.lock:
            thread, self.thread = self.thread, None
        if thread is not None:
            self.queue.put(None)
            thread.join(timeout=30)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batches = [self.queue.get()]
            while True:
                try:
                    batches.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            stopping = None in batches
            lines = [line for batch in batches if batch is not None for line in batch]
            try:
                if lines:
                    self._write(lines)
            finally:
                for _ in batches:
                    self.queue.task_done()

    def _write(self, lines: Sequence[Access]) -> None:
        try:
            with transaction(self.factory, writes=True) as session:
                write_lines(session, lines)
        except Exception as error:  # counted and logged, never raised: the requests are long answered
            self.failures.inc(len(lines))
            # No traceback: it would carry the SQL parameters (who read what).
            log.warning("access log write failed", extra={"lines": len(lines), "error": type(error).__name__})
