"""One connection to NATS JetStream, for synchronous callers (routes, CLI commands, connectors).

The asyncio client runs on a loop of its own thread; each call waits for its answer at most
``broker_timeout_seconds`` and otherwise raises `BrokerUnavailable` (503 with Retry-After), so a
caller never answers before the broker has acknowledged what it was given.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.kv import KeyValue

from hustings.errors import BrokerUnavailable
from hustings.messages.changes import ChangeResult, SourceChange
from hustings.messages.ingest import IngestResult, MessageRepository
from hustings.messages.model import MessageIn, Origin, message_id, normalise_handle, validate_batch
from hustings.settings import Settings
from hustings.stream.partition import (
    ACTOR_HEADER,
    CHANGES_DURABLE,
    CHANGES_SUBJECT,
    MESSAGE_ID_HEADER,
    ORIGIN_HEADER,
    STREAM,
    SUBJECT_PREFIX,
    durable,
    partition_of,
    subject,
)

T = TypeVar("T")
WORKERS_BUCKET = "hustings_workers"
"""Key-value bucket of partition leases (``lease.<n>``) and worker heartbeats (``worker.<id>``)."""
PUBLISH_WINDOW = 256
"""Publishes in flight at once on the connection (their order on a subject is the send order)."""


def servers(settings: Settings) -> list[str]:
    if settings.broker_url is None:
        raise ValueError("broker_url: not set")
    return [url.strip() for url in settings.broker_url.get_secret_value().split(",") if url.strip()]


async def connect(settings: Settings) -> Client:
    """A connection that keeps reconnecting, so work resumes when the broker comes back."""
    return await nats.connect(
        servers=servers(settings),
        connect_timeout=settings.broker_timeout_seconds,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
    )


async def ensure_stream(js: JetStreamContext, settings: Settings) -> None:
    """The stream and one durable pull consumer per partition, created or left as they are."""
    await js.add_stream(
        StreamConfig(
            name=STREAM,
            subjects=[f"{SUBJECT_PREFIX}.*"],
            storage=StorageType.FILE,
            num_replicas=settings.broker_replicas,
            duplicate_window=120.0,
        )
    )
    for partition in range(settings.broker_partitions):
        await js.add_consumer(
            STREAM,
            ConsumerConfig(
                durable_name=durable(partition),
                filter_subject=subject(partition),
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=settings.worker_ack_wait_seconds,
                # No more in flight than one batch: after a redelivery the partition resumes
                # from its oldest unacknowledged message, so a target's messages stay in order.
                max_ack_pending=settings.worker_batch,
                num_replicas=settings.broker_replicas,
            ),
        )
    await js.add_consumer(
        STREAM,
        ConsumerConfig(
            durable_name=CHANGES_DURABLE,
            filter_subject=CHANGES_SUBJECT,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=settings.worker_ack_wait_seconds,
            max_ack_pending=settings.worker_batch,
            num_replicas=settings.broker_replicas,
        ),
    )


async def workers_bucket(js: JetStreamContext, settings: Settings) -> KeyValue:
    try:
        return await js.key_value(WORKERS_BUCKET)
    except nats.js.errors.BucketNotFoundError:
        return await js.create_key_value(
            bucket=WORKERS_BUCKET,
            ttl=settings.worker_lease_seconds,
            history=1,
            replicas=settings.broker_replicas,
        )


@dataclass(frozen=True, slots=True)
class PartitionStatus:
    partition: int
    lag: int
    """Messages on the partition no worker has fetched yet."""
    in_flight: int
    """Fetched and not yet acknowledged."""
    redelivered: int
    holder: str | None
    """The worker holding the partition's lease, if any."""


@dataclass(frozen=True, slots=True)
class StreamStatus:
    partitions: list[PartitionStatus]
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each live worker's own counters (see `hustings.stream.worker.WorkerStats`)."""
    changes: PartitionStatus | None = None
    """The changes subject's consumer (`partition` -1), where the stream has one."""


async def read_status(js: JetStreamContext, settings: Settings) -> StreamStatus:
    bucket = await workers_bucket(js, settings)
    holders: dict[int, str] = {}
    workers: dict[str, dict[str, Any]] = {}
    try:
        keys = await bucket.keys()
    except nats.js.errors.NoKeysError:
        keys = []
    for key in keys:
        entry = await bucket.get(key)
        if entry.value is None:
            continue
        if key.startswith("lease."):
            holders[int(key.removeprefix("lease."))] = entry.value.decode()
        elif key.startswith("worker."):
            workers[key.removeprefix("worker.")] = json.loads(entry.value)
    partitions = []
    for partition in range(settings.broker_partitions):
        info = await js.consumer_info(STREAM, durable(partition))
        partitions.append(
            PartitionStatus(
                partition=partition,
                lag=info.num_pending or 0,
                in_flight=info.num_ack_pending or 0,
                redelivered=info.num_redelivered or 0,
                holder=holders.get(partition),
            )
        )
    try:
        info = await js.consumer_info(STREAM, CHANGES_DURABLE)
    except nats.js.errors.NotFoundError:
        changes = None
    else:
        changes = PartitionStatus(
            partition=-1,
            lag=info.num_pending or 0,
            in_flight=info.num_ack_pending or 0,
            redelivered=info.num_redelivered or 0,
            holder=holders.get(0),
        )
    return StreamStatus(partitions, workers, changes)


def _payload(item: MessageIn, origin: Origin | None) -> bytes:
    """The message as published: its JSON, or with an origin, both (see `ORIGIN_HEADER`)."""
    if origin is None:
        return item.model_dump_json().encode("utf-8")
    return json.dumps({"message": item.model_dump(mode="json"), "origin": origin.to_json()}).encode("utf-8")


class Broker:
    """Publishes validated messages and reads the stream's status; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="broker", daemon=True).start()
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(self.settings.broker_timeout_seconds)
        except (TimeoutError, OSError, nats.errors.Error) as error:
            future.cancel()
            raise BrokerUnavailable(
                "broker: the message broker did not acknowledge in time; nothing was stored, try again"
            ) from error

    async def _jetstream(self) -> JetStreamContext:
        if self._client is None or self._client.is_closed:
            self._js = None
            self._client = await connect(self.settings)
        if self._js is None:
            js = self._client.jetstream(timeout=self.settings.broker_timeout_seconds)
            await ensure_stream(js, self.settings)
            self._js = js
        return self._js

    def publish(
        self,
        raw: Sequence[object],
        *,
        actor: str,
        repository: MessageRepository,
        origins: Sequence[Origin | None] = (),
    ) -> IngestResult:
        """Validate `raw` and publish the good messages; `accepted` counts those new to the stream.

        `repository` resolves the messages' targets, for their partitions (it is only read).
        `origins`, when given, holds each item's platform record (None for one without), which
        travels with its message for the worker to store beside it.

        A message the stream already holds (a retried publish, within its two-minute
        de-duplication window) counts as a duplicate; one published again later is refused as a
        duplicate by the worker's ingest.
        """
        if origins and len(origins) != len(raw):
            raise ValueError("origins: one per raw message")
        valid, rejected = validate_batch(raw)
        refs = {(item.source, normalise_handle(ref)) for _, item in valid for ref in item.targets}
        targets = repository.resolve_targets(refs) if refs else {}
        ids: list[str] = []
        unique: dict[str, tuple[MessageIn, Origin | None]] = {}
        for index, item in valid:
            ids.append(message_id(item.source, item.external_id))
            unique.setdefault(ids[-1], (item, origins[index] if origins else None))
        fresh = self._call(self._publish(unique, actor, targets)) if unique else 0
        return IngestResult(accepted=fresh, duplicates=len(ids) - fresh, rejected=rejected, ids=ids)

    async def _publish(
        self,
        messages: dict[str, tuple[MessageIn, Origin | None]],
        actor: str,
        targets: dict[tuple[str, str], str],
    ) -> int:
        js = await self._jetstream()
        items = list(messages.items())
        fresh = 0
        for start in range(0, len(items), PUBLISH_WINDOW):
            acks = await asyncio.gather(
                *(
                    js.publish(
                        subject(partition_of(item, self.settings.broker_partitions, targets)),
                        _payload(item, origin),
                        headers={MESSAGE_ID_HEADER: id_, ACTOR_HEADER: actor}
                        | ({ORIGIN_HEADER: "1"} if origin is not None else {}),
                    )
                    for id_, (item, origin) in items[start : start + PUBLISH_WINDOW]
                )
            )
            fresh += sum(1 for ack in acks if not ack.duplicate)
        return fresh

    def publish_changes(self, changes: Sequence[SourceChange], *, actor: str) -> ChangeResult:
        """Publish validated edits and deletions on the changes subject, for the workers to apply.

        Answered once JetStream has acknowledged every one (else `BrokerUnavailable`); each is
        published with its `SourceChange.key` as JetStream's de-duplication id, so a retried
        publish is stored once (`duplicates`) and the rest count as `queued`. Whether a change's
        message is held is the worker's question: it may still be on its partition.
        """
        unique = {change.key: change for change in changes}
        fresh = self._call(self._publish_changes(unique, actor)) if unique else 0
        return ChangeResult(queued=fresh, duplicates=len(changes) - fresh)

    async def _publish_changes(self, changes: dict[str, SourceChange], actor: str) -> int:
        js = await self._jetstream()
        items = list(changes.items())
        fresh = 0
        for start in range(0, len(items), PUBLISH_WINDOW):
            acks = await asyncio.gather(
                *(
                    js.publish(
                        CHANGES_SUBJECT,
                        json.dumps(change.to_json()).encode("utf-8"),
                        headers={MESSAGE_ID_HEADER: key, ACTOR_HEADER: actor},
                    )
                    for key, change in items[start : start + PUBLISH_WINDOW]
                )
            )
            fresh += sum(1 for ack in acks if not ack.duplicate)
        return fresh

    def status(self) -> StreamStatus:
        return self._call(self._status())

    async def _status(self) -> StreamStatus:
        return await read_status(await self._jetstream(), self.settings)

    def close(self) -> None:
        if self._loop is None:
            return
        if self._client is not None and not self._client.is_closed:
            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
