"""The stream's figures in Prometheus form, read from JetStream when `/metrics` is scraped.

Lag, in-flight and redelivered counts come from each partition's consumer; batch sizes,
messages stored and assessed, redeliveries and errors from the counters each live worker
keeps in its heartbeat (`hustings.stream.worker.WorkerStats`).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hustings.errors import BrokerUnavailable
from hustings.stream.broker import Broker, StreamStatus

WORKER_COUNTERS = {
    "batches": "Batches a worker committed",
    "batch_messages": "Messages in the batches a worker committed (over batches: the mean batch size)",
    "stored": "Messages a worker stored (new to the database)",
    "assessed": "Messages a worker assessed",
    "redeliveries": "Messages a worker received again after another delivery went unacknowledged",
    "errors": "Batches a worker failed to store (redelivered later)",
    "reruns": "Batches a worker ran again after meeting a concurrent writer on some status",
    "partitions_taken": "Partition leases a worker took",
    "partitions_lost": "Partition leases that lapsed or moved before a worker renewed them",
    "fetch_seconds": "Seconds a worker waited on fetches that brought messages",
    "assess_seconds": "Seconds a worker spent in the detector",
    "store_seconds": "Seconds a worker's batch transactions took, open to commit",
    "ack_seconds": "Seconds a worker spent acknowledging",
    "cpu_seconds": "CPU seconds a worker's process used",
    "changes_applied": "Edits and deletions at the source a worker applied",
    "changes_deferred": "Deliveries of a change handed back because its message was not stored yet",
    "changes_rejected": "Changes whose message was still not stored after the last delivery allowed",
}


def stream_metrics(status: StreamStatus | None) -> Iterator[Metric]:
    """The metric families for `status`; None when the broker could not be reached."""
    up = GaugeMetricFamily("hustings_broker_up", "Whether the message broker answered")
    up.add_metric([], 0 if status is None else 1)
    yield up
    if status is None:
        return
    lag = GaugeMetricFamily("hustings_stream_lag", "Messages waiting on a partition", labels=["partition"])
    in_flight = GaugeMetricFamily(
        "hustings_stream_in_flight", "Messages fetched and not yet acknowledged", labels=["partition"]
    )
    redelivered = GaugeMetricFamily(
        "hustings_stream_redelivered",
        "Messages on a partition delivered more than once",
        labels=["partition"],
    )
    for partition in status.partitions:
        label = [str(partition.partition)]
        lag.add_metric(label, partition.lag)
        in_flight.add_metric(label, partition.in_flight)
        redelivered.add_metric(label, partition.redelivered)
    yield from (lag, in_flight, redelivered)
    if status.changes is not None:
        yield GaugeMetricFamily(
            "hustings_stream_changes_pending",
            "Edits and deletions at the source published and not yet applied (waiting or in flight)",
            value=status.changes.lag + status.changes.in_flight,
        )
    for name, documentation in WORKER_COUNTERS.items():
        family = CounterMetricFamily(f"hustings_worker_{name}", documentation, labels=["worker"])
        for worker, counters in sorted(status.workers.items()):
            family.add_metric([worker], float(counters.get(name, 0)))
        yield family


class StreamCollector(Collector):
    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def describe(self) -> Iterator[Metric]:
        # Without it the registry would collect, and so call the broker, when registering.
        return iter(())

    def collect(self) -> Iterator[Metric]:
        try:
            status: StreamStatus | None = self.broker.status()
        except BrokerUnavailable:
            status = None
        yield from stream_metrics(status)
