"""`hustings worker`: take partitions under a lease, store and assess their messages in batches.

Each partition has one durable pull consumer, and a lease in the ``hustings_workers`` key-value
bucket (``lease.<n>``, holding the worker's id) says which worker may fetch from it. A lease is
taken with a create-if-absent, renewed with a compare-and-set on its revision, and lapses with
the bucket's TTL (``worker_lease_seconds``) when its holder stops renewing it: a worker killed
mid-batch leaves its messages unacknowledged, and after the lease lapses another worker takes
the partition and receives them again once ``worker_ack_wait_seconds`` has passed, oldest first
(``max_ack_pending`` is one batch, so nothing newer overtakes them). Workers announce themselves
with a heartbeat (``worker.<id>``) and each holds at most its fair share of partitions, so a
new worker is given partitions as the others release them.

A batch is stored through `Services.ingest` in one transaction, then acknowledged: a crash
between the two redelivers messages that ingest then counts as duplicates, so each is stored
once. Per-target state (pile-on detectors, near-duplicate clusters) lives in the database and is
read by each batch's own `Services`, so a partition that moves needs nothing handed over.

Edits and deletions at the source travel on a subject of their own (``hustings.messages.changes``,
one durable consumer), since a change carries no targets to find its message's partition by. The
holder of partition 0's lease consumes it too, so one worker applies changes at a time, in the
order published. A batch of changes is applied through `Services.record_changes` in one
transaction, then acknowledged; `record_changes` is idempotent, so a change redelivered after a
crash between commit and ack records nothing twice. A change whose message is not stored yet
(still on its partition, or never sent) is handed back with ``nak(delay=
worker_change_retry_seconds)`` and received again, up to ``worker_change_attempts`` deliveries;
after that it is terminated and logged as rejected (``changes_rejected``), never dropped
silently. A change so held back can be overtaken by a later change to the same message only if
that message is stored in between: both are still recorded, in the order they were applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.kv import KeyValue
from sqlalchemy import Engine

from hustings.clock import SystemClock
from hustings.detect.assessment import Assessment, Detector
from hustings.events import SYSTEM_ACTOR
from hustings.messages.changes import SourceChange, validate_changes
from hustings.messages.ingest import author_of
from hustings.messages.model import Origin, message_id, validate_batch
from hustings.services import Services, configured_detector
from hustings.settings import Settings
from hustings.storage.database import make_sessionmaker, transaction
from hustings.storage.messages import SqlMessageRepository
from hustings.stream.broker import connect, ensure_stream, workers_bucket
from hustings.stream.partition import (
    ACTOR_HEADER,
    CHANGES_DURABLE,
    CHANGES_SUBJECT,
    MESSAGE_ID_HEADER,
    ORIGIN_HEADER,
    STREAM,
    durable,
    partition_of_target,
    subject,
)

log = logging.getLogger(__name__)
FETCH_WAIT_SECONDS = 0.5


@dataclass(slots=True)
class WorkerStats:
    """What a worker has done since it started, published in its heartbeat."""

    batches: int = 0
    batch_messages: int = 0
    stored: int = 0
    assessed: int = 0
    redeliveries: int = 0
    errors: int = 0
    reruns: int = 0
    """Batches run again after meeting a concurrent writer on some status (`Services.ingest`)."""
    fetch_seconds: float = 0.0
    """Wall time waiting on fetches that brought messages."""
    assess_seconds: float = 0.0
    """Wall time in the detector (before each batch's transaction)."""
    store_seconds: float = 0.0
    """Wall time from opening a batch's transaction to its commit."""
    ack_seconds: float = 0.0
    partitions_taken: int = 0
    partitions_lost: int = 0
    """Leases that lapsed or were taken over before this worker renewed them (released ones are not counted)."""
    cpu_seconds: float = 0.0
    """CPU time of the worker's process (every thread)."""
    changes_applied: int = 0
    """Edits and deletions at the source applied (recorded, or found already recorded)."""
    changes_deferred: int = 0
    """Deliveries of a change handed back because its message was not stored yet."""
    changes_rejected: int = 0
    """Changes whose message was still not stored after ``worker_change_attempts`` deliveries."""


class BatchDetector:
    """The configured detector, loaded once per worker, with a batch's assessments made ahead.

    `prepare` assesses a batch's texts before its transaction opens, so the transaction (and
    the rows it locks) lasts only as long as the writes; `assess`, called by ingest inside it,
    answers from those, assessing only a text it was not given. Time in the model is added to
    `stats.assess_seconds`.
    """

    def __init__(self, detector: Detector, stats: WorkerStats) -> None:
        self.detector = detector
        self.stats = stats
        self.prepared: dict[str, Assessment] = {}

    @property
    def model(self) -> str:
        return self.detector.model

    def _assess(self, texts: Sequence[str]) -> list[Assessment]:
        started = time.perf_counter()
        try:
            return self.detector.assess(texts) if texts else []
        finally:
            self.stats.assess_seconds += time.perf_counter() - started

    def prepare(self, texts: Sequence[str]) -> None:
        unique = list(dict.fromkeys(texts))
        self.prepared = dict(zip(unique, self._assess(unique), strict=True))

    def assess(self, texts: Sequence[str]) -> list[Assessment]:
        missing = list(dict.fromkeys(text for text in texts if text not in self.prepared))
        self.prepared.update(zip(missing, self._assess(missing), strict=True))
        return [self.prepared[text] for text in texts]


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    def __init__(self, settings: Settings, engine: Engine, worker_id: str | None = None) -> None:
        self.settings = settings
        self.sessionmaker = make_sessionmaker(engine)
        self.id = worker_id or default_worker_id()
        self.stats = WorkerStats()
        self._detector: BatchDetector | None = None
        self.leases: dict[int, int] = {}
        """Partitions held, with the revision of their lease entry."""

    def store(self, messages: Sequence[Msg], partition: int) -> None:
        """Store, log and assess `messages` (a batch from `partition`) in one transaction.

        Pile-on state beyond the batch's own targets (the sweep that closes quiet incidents) is
        kept only for `partition`'s targets, so two workers never lock each other's.

        Before it, outside any transaction's locks: the messages not stored yet are assessed
        (`BatchDetector`), and their authors stored in a transaction of their own. Authors are
        shared between partitions: two batches inserting one new author would otherwise each
        wait for the other's commit. An author stored for a batch that then fails is harmless
        (it is stored once, whoever comes first).
        """
        by_actor: dict[str, tuple[list[object], list[Origin | None]]] = {}
        for message in messages:
            headers = message.headers or {}
            raw, origins = by_actor.setdefault(headers.get(ACTOR_HEADER, SYSTEM_ACTOR), ([], []))
            body = json.loads(message.data)
            if ORIGIN_HEADER in headers:
                raw.append(body["message"])
                origins.append(Origin.from_json(body["origin"]))
            else:
                raw.append(body)
                origins.append(None)
        valid = {
            message_id(item.source, item.external_id): item
            for raw, _ in by_actor.values()
            for _, item in validate_batch(raw)[0]
        }
        with transaction(self.sessionmaker, writes=False) as session:
            existing = SqlMessageRepository(session).existing_ids(list(valid))
        fresh = [item for id_, item in valid.items() if id_ not in existing]
        if self.settings.assess_on_ingest:
            self.detector().prepare([item.text for item in fresh])
        if fresh:
            with transaction(self.sessionmaker, writes=True) as session:
                SqlMessageRepository(session).add_authors(map(author_of, fresh), SystemClock().now())
        started = time.perf_counter()
        partitions = self.settings.broker_partitions
        with transaction(self.sessionmaker, writes=True) as session:
            services = Services(
                session=session,
                settings=self.settings,
                detector_provider=self.detector,
                target_scope=lambda target_id: partition_of_target(target_id, partitions) == partition,
            )
            results = [
                services.ingest(raw, actor=actor, origins=origins if any(origins) else ())
                for actor, (raw, origins) in by_actor.items()
            ]
        self.stats.store_seconds += time.perf_counter() - started
        self.stats.reruns += services.ingest_reruns
        self.stats.batches += 1
        self.stats.batch_messages += len(messages)
        self.stats.stored += sum(result.accepted for result in results)
        self.stats.assessed += sum(len(result.assessments) for result in results)

    def apply_changes(self, messages: Sequence[Msg]) -> list[bool]:
        """Record the edits and deletions in `messages` whose message is stored, in one
        transaction; whether each was applied (False: its message is not held yet, or it is
        not a valid change, which is logged).

        Consecutive changes from one actor go to `Services.record_changes` together, so the
        order published is the order recorded.
        """
        parsed: list[tuple[str, SourceChange] | None] = []
        for message in messages:
            valid, rejected = validate_changes([json.loads(message.data)])
            if rejected:
                log.error("worker: an invalid change on %s: %s", CHANGES_SUBJECT, rejected[0].error)
            actor = (message.headers or {}).get(ACTOR_HEADER, SYSTEM_ACTOR)
            parsed.append((actor, valid[0][1]) if valid else None)
        applied = [False] * len(messages)
        with transaction(self.sessionmaker, writes=True) as session:
            services = Services(session=session, settings=self.settings, detector_provider=self.detector)
            held = services.messages.existing_ids(
                list(dict.fromkeys(item[1].message_id for item in parsed if item is not None))
            )
            run: list[SourceChange] = []
            run_actor: str | None = None
            for index, item in enumerate(parsed):
                if item is None or item[1].message_id not in held:
                    continue
                actor, change = item
                if actor != run_actor and run:
                    services.record_changes(run, actor=str(run_actor))
                    run = []
                run_actor = actor
                run.append(change)
                applied[index] = True
            if run:
                services.record_changes(run, actor=str(run_actor))
        self.stats.changes_applied += sum(applied)
        return applied

    def detector(self) -> BatchDetector:
        if self._detector is None:
            self._detector = BatchDetector(configured_detector(self.settings), self.stats)
        return self._detector

    async def run(self, stop: asyncio.Event) -> None:
        client = await connect(self.settings)
        try:
            js = client.jetstream(timeout=self.settings.broker_timeout_seconds)
            await ensure_stream(js, self.settings)
            bucket = await workers_bucket(js, self.settings)
            keeper = asyncio.create_task(self._keep_leases(bucket, stop))
            try:
                await self._consume(js, stop)
            finally:
                keeper.cancel()
                await self._release_all(bucket)
        finally:
            await client.close()

    async def _consume(self, js: JetStreamContext, stop: asyncio.Event) -> None:
        subscriptions: dict[int, JetStreamContext.PullSubscription] = {}
        changes: JetStreamContext.PullSubscription | None = None
        while not stop.is_set():
            held = sorted(self.leases)
            for partition in set(subscriptions) - set(held):
                await self._hand_back(subscriptions.pop(partition))
            if changes is not None and 0 not in self.leases:
                await self._hand_back(changes)
                changes = None
            if not held:
                await asyncio.sleep(FETCH_WAIT_SECONDS)
                continue
            for partition in held:
                if stop.is_set():
                    break
                if partition not in self.leases:
                    continue  # handed back since this round began: fetch nothing more from it
                try:
                    if partition not in subscriptions:
                        subscriptions[partition] = await js.pull_subscribe_bind(
                            durable(partition), stream=STREAM
                        )
                    await self._one_batch(subscriptions[partition], partition)
                except (nats.errors.Error, OSError):
                    # The broker is away (TimeoutError is an OSError): the client reconnects;
                    # what was fetched and not acknowledged is redelivered.
                    log.warning(
                        "worker: partition %d: broker unavailable; retrying", partition, exc_info=True
                    )
                    await asyncio.sleep(FETCH_WAIT_SECONDS)
            if 0 in self.leases and not stop.is_set():
                try:
                    if changes is None:
                        changes = await js.pull_subscribe_bind(CHANGES_DURABLE, stream=STREAM)
                    await self._changes_batch(changes)
                except (nats.errors.Error, OSError):
                    log.warning("worker: changes: broker unavailable; retrying", exc_info=True)
                    await asyncio.sleep(FETCH_WAIT_SECONDS)

    async def _changes_batch(self, subscription: JetStreamContext.PullSubscription) -> None:
        """Apply a batch of changes, then acknowledge those applied; see the module docstring."""
        try:
            messages = await subscription.fetch(self.settings.worker_batch, timeout=FETCH_WAIT_SECONDS / 4)
        except TimeoutError:
            return
        if 0 not in self.leases:
            for message in messages:
                await message.nak()
            return
        self.stats.redeliveries += sum(1 for message in messages if message.metadata.num_delivered > 1)
        try:
            applied = await asyncio.to_thread(self.apply_changes, messages)
        except Exception:
            self.stats.errors += 1
            log.exception("worker: a batch of %d changes on %s failed", len(messages), CHANGES_SUBJECT)
            for message in messages:
                await message.nak(delay=1.0)
            return
        for message, done in zip(messages, applied, strict=True):
            if done:
                await message.ack()
            elif message.metadata.num_delivered >= self.settings.worker_change_attempts:
                self.stats.changes_rejected += 1
                log.error(
                    "worker: change %s rejected: its message was not stored after %d deliveries",
                    (message.headers or {}).get(MESSAGE_ID_HEADER),
                    message.metadata.num_delivered,
                )
                await message.term()
            else:
                self.stats.changes_deferred += 1
                await message.nak(delay=self.settings.worker_change_retry_seconds)

    async def _hand_back(self, subscription: JetStreamContext.PullSubscription) -> None:
        """Unsubscribe from a partition no longer held, first handing back what it still holds.

        A fetch that timed out can have its messages arrive after it, to wait for the next
        fetch; dropped with the subscription, they would wait out the ack wait before the new
        holder could receive them (and, the partition's in-flight limit being one batch, hold
        back everything after them).
        """
        # Only when some did arrive: a fetch also asks the server for more, which would take
        # fresh messages from the partition's new holder just to hand them back.
        with contextlib.suppress(nats.errors.Error, OSError):
            for message in (
                []
                if subscription.pending_msgs == 0
                else await subscription.fetch(self.settings.worker_batch, timeout=FETCH_WAIT_SECONDS / 4)
            ):
                await message.nak()
        with contextlib.suppress(nats.errors.Error, OSError):
            await subscription.unsubscribe()

    async def _one_batch(self, subscription: JetStreamContext.PullSubscription, partition: int) -> None:
        started = time.perf_counter()
        try:
            messages = await subscription.fetch(self.settings.worker_batch, timeout=FETCH_WAIT_SECONDS / 4)
        except TimeoutError:  # nothing to fetch (nats' TimeoutError is one)
            return
        self.stats.fetch_seconds += time.perf_counter() - started
        if partition not in self.leases:
            # The lease lapsed while fetching: hand the messages straight back for its new
            # holder (left unacknowledged they would wait out the ack wait, holding the partition).
            for message in messages:
                await message.nak()
            return
        self.stats.redeliveries += sum(1 for message in messages if message.metadata.num_delivered > 1)
        try:
            await asyncio.to_thread(self.store, messages, partition)
        except Exception:
            self.stats.errors += 1
            log.exception("worker: a batch of %d messages on %s failed", len(messages), subject(partition))
            for message in messages:
                await message.nak(delay=1.0)
            return
        started = time.perf_counter()
        for message in messages:
            await message.ack()
        self.stats.ack_seconds += time.perf_counter() - started

    async def _keep_leases(self, bucket: KeyValue, stop: asyncio.Event) -> None:
        interval = self.settings.worker_lease_seconds / 3
        while not stop.is_set():
            try:
                await self._tend(bucket)
            except Exception:
                # Whatever went wrong, keep tending: a lease not renewed lapses, and the
                # partition moves to another worker, which is safe.
                log.warning("worker: could not renew leases; retrying", exc_info=True)
            await asyncio.sleep(interval)

    async def _tend(self, bucket: KeyValue) -> None:
        self.stats.cpu_seconds = time.process_time()
        await bucket.put(f"worker.{self.id}", json.dumps(asdict(self.stats)).encode())
        for partition, revision in list(self.leases.items()):
            try:
                self.leases[partition] = await bucket.update(
                    f"lease.{partition}", self.id.encode(), last=revision
                )
            except nats.js.errors.KeyWrongLastSequenceError:
                log.warning("worker: lost the lease on partition %d", partition)
                self.leases.pop(partition, None)
                self.stats.partitions_lost += 1
        try:
            # Distinct: a listing that meets a heartbeat being renewed can name it twice, and a
            # worker that counted one worker too many would hand back partitions for nothing.
            live = len({key for key in await bucket.keys() if key.startswith("worker.")})
        except nats.js.errors.NoKeysError:
            live = 1
        share = math.ceil(self.settings.broker_partitions / max(live, 1))
        for partition in sorted(self.leases, reverse=True)[: max(len(self.leases) - share, 0)]:
            await self._release(bucket, partition)
        for partition in range(self.settings.broker_partitions):
            if len(self.leases) >= share:
                break
            if partition in self.leases:
                continue
            try:
                self.leases[partition] = await bucket.create(f"lease.{partition}", self.id.encode())
                self.stats.partitions_taken += 1
                log.info("worker: took partition %d", partition)
            except nats.js.errors.KeyWrongLastSequenceError:
                continue

    async def _release(self, bucket: KeyValue, partition: int) -> None:
        revision = self.leases.pop(partition)
        with contextlib.suppress(nats.js.errors.KeyWrongLastSequenceError):
            await bucket.delete(f"lease.{partition}", last=revision)

    async def _release_all(self, bucket: KeyValue) -> None:
        """Hand the partitions back at once rather than when their leases lapse (best effort)."""
        with contextlib.suppress(nats.errors.Error, OSError):
            for partition in list(self.leases):
                await self._release(bucket, partition)
            await bucket.delete(f"worker.{self.id}")
