"""Follow a live source over WebSocket: batches, positions kept, reconnects with back-off, a
clean stop.

A `LiveSource` says how to reach its platform (`url` from the position to resume at, `headers`),
how to read a position from a record (`advance`), and what to fetch before streaming (`catch_up`,
e.g. Mastodon's notifications since the position). The `Follower` reads frames, converts them
with the platform's converter (`hustings.sources`), and hands each batch with the position it
ends at to `commit`, which ingests the batch and records the position in one transaction. A
dropped connection is reopened from the last committed position; what it replays is absorbed
by ingest's idempotence.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException

from hustings.errors import HustingsError
from hustings.messages.changes import ChangeResult
from hustings.messages.ingest import IngestResult
from hustings.sources import Changed, Converted, Converter, Failed, Format, Passed, Record, convert
from hustings.sources.tally import Tally, count_batch


class ConnectorError(HustingsError):
    """A connector that cannot reach or read its source (a `--once` run gives up after retries)."""


class Positioned(Protocol):
    """A live source as its batches are kept: its name, its format, how a record moves its position."""

    connector: str
    """The connector's name, which its position is kept under: the platform and the address."""
    format: Format

    def advance(self, position: str | None, value: object) -> str | None:
        """The position after the record `value`, given the position before it."""
        ...


class LiveSource(Positioned, Protocol):
    """One platform's feed over WebSocket, as a `Follower` reads it."""

    def url(self, position: str | None) -> str:
        """The WebSocket address to stream from, resuming after `position` where the source can."""
        ...

    def headers(self) -> dict[str, str]: ...

    def catch_up(self, position: str | None) -> AsyncIterator[Record]:
        """Records to read before streaming (what the stream cannot replay); none for most."""
        ...


Commit = Callable[[list[Converted], list[Changed], str | None], tuple[IngestResult, ChangeResult]]
"""Ingest a batch, log the edits and deletions it reported, and record the position it ends at,
in one transaction."""


@dataclass
class Progress:
    """What a connector has done so far, for its status line."""

    connector: str
    position: str | None
    tally: Tally = field(default_factory=Tally)
    connections: int = 0
    batches: int = 0
    last_error: str | None = None

    def line(self) -> str:
        tally = self.tally
        changes = tally.changes_line()
        return (
            f"{self.connector}: position {self.position or 'none'}, accepted {tally.accepted}, "
            f"duplicates {tally.duplicates}, rejected {len(tally.rejected)}, "
            f"skipped {sum(tally.skipped.values())}, connections {self.connections}"
            + (f", {changes}" if changes else "")
            + (f", last error: {self.last_error}" if self.last_error else "")
        )


@dataclass
class Batches:
    """Records read from a live source, converted, and committed in batches, each with the
    position it ends at: what every connector (WebSocket or IMAP) shares."""

    source: Positioned
    converter: Converter
    commit: Commit
    position: str | None
    """The position committed last (where a reconnect resumes)."""
    batch_size: int = 100
    report: Callable[[Progress], None] = lambda progress: None
    progress: Progress = field(init=False)
    _batch: list[Converted] = field(init=False, default_factory=list)
    _changed: list[Changed] = field(init=False, default_factory=list)
    _read: int = field(init=False, default=0)
    _pending: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.progress = Progress(self.source.connector, self.position)
        self._pending = self.position

    @property
    def full(self) -> bool:
        return self._read >= self.batch_size

    def take(self, record: Record | Failed, after: str | None = None) -> None:
        """Convert one record into the batch, and move the pending position past it: to `after`
        where the source knows it without the record (an IMAP UID), else as `advance` reads it."""
        self._read += 1
        tally = self.progress.tally
        if isinstance(record, Failed):
            tally.rejected.append((record.where, record.error))
            self._pending = after if after is not None else self._pending
            return
        for outcome in convert(self.source.format, self.converter, record):
            if isinstance(outcome, Converted):
                self._batch.append(outcome)
            elif isinstance(outcome, Changed):
                self._changed.append(outcome)
            elif isinstance(outcome, Passed):
                tally.skipped[outcome.reason] += 1
            else:
                tally.rejected.append((outcome.where, outcome.error))
        self._pending = after if after is not None else self.source.advance(self._pending, record.value)

    def flush(self) -> None:
        """Commit what has been read since the last commit, with the position it ends at."""
        if not self._batch and not self._changed and self._pending == self.position:
            return
        batch = list(self._batch)
        result, changes = self.commit(batch, list(self._changed), self._pending)
        self.position = self._pending
        self._batch.clear()
        self._changed.clear()
        self._read = 0
        self.progress.position = self.position
        count_batch(self.progress.tally, batch, result, changes)
        self.progress.batches += 1
        self.report(self.progress)


def retry_wait(failures: int, first: float, most: float) -> float:
    """Exponential back-off with jitter: `first` seconds after one failure, doubling to `most`."""
    wait = min(most, first * 2.0 ** (failures - 1))
    return wait * random.uniform(0.5, 1.0)


@dataclass
class Follower:
    source: LiveSource
    converter: Converter
    commit: Commit
    position: str | None
    """The position to start from."""
    batch_size: int = 100
    flush_seconds: float = 1.0
    """A batch is committed when it is full or when no frame has come for this long."""
    idle_seconds: float = 3.0
    """With `once`, the run ends when no frame has come for this long."""
    retry_seconds: float = 0.5
    """The first wait before reconnecting; it doubles with each failure, to `retry_max_seconds`."""
    retry_max_seconds: float = 60.0
    attempts: int = 5
    """With `once`, how many failed connections in a row end the run with an error."""
    report: Callable[[Progress], None] = lambda progress: None
    batches: Batches = field(init=False)
    _frames: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.batches = Batches(
            self.source, self.converter, self.commit, self.position, self.batch_size, self.report
        )

    @property
    def progress(self) -> Progress:
        return self.batches.progress

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> Progress:
        """Follow the source until `stop` is set, or with `once` until it falls quiet."""
        failures = 0
        batches = self.batches
        while not stop.is_set():
            try:
                async for record in self.source.catch_up(batches.position):
                    batches.take(record)
                batches.flush()
                async with connect(
                    self.source.url(batches.position),
                    additional_headers=self.source.headers(),
                    open_timeout=10,
                    max_size=2**22,
                ) as connection:
                    failures = 0
                    self.progress.connections += 1
                    self.progress.last_error = None
                    if await self._stream(connection, stop, once):
                        break
            except (OSError, TimeoutError, WebSocketException, httpx.HTTPError, ValueError) as error:
                batches.flush()
                failures += 1
                self.progress.last_error = _described(error)
                self.report(self.progress)
                if isinstance(error, InvalidURI) or (once and failures >= self.attempts):
                    raise ConnectorError(f"{self.source.connector}: {self.progress.last_error}") from None
                await _sleep(stop, retry_wait(failures, self.retry_seconds, self.retry_max_seconds))
        batches.flush()
        return self.progress

    async def _stream(self, connection: ClientConnection, stop: asyncio.Event, once: bool) -> bool:
        """Read frames until the connection closes (False) or the run is over (True)."""
        quiet = 0.0
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(connection.recv(), timeout=self.flush_seconds)
            except TimeoutError:
                self.batches.flush()
                quiet += self.flush_seconds
                if once and quiet >= self.idle_seconds:
                    return True
                continue
            quiet = 0.0
            self._frames += 1
            payload = frame.encode("utf-8") if isinstance(frame, str) else frame
            self.batches.take(_record(f"frame {self._frames}", payload))
            if self.batches.full:
                self.batches.flush()
        return True


def _record(where: str, payload: bytes) -> Record | Failed:
    try:
        return Record(where, payload, json.loads(payload))
    except (ValueError, RecursionError) as error:
        return Failed(where, f"not valid JSON: {error}")


def _described(error: BaseException) -> str:
    if isinstance(error, InvalidHandshake):
        return f"handshake refused: {error}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
