"""End-to-end throughput through the broker: publish -> stored and assessed, with 1 and 2 workers.

Starts its own nats-server (JetStream) and PostgreSQL from Debian's binaries on loopback, and
for each worker count a fresh database and stream: starts the workers (`hustings worker`, each
detector held to HUSTINGS_DETECT_THREADS threads), waits until every partition is held,
publishes the messages in batches of 500 (timing the publish), and times until every message
is stored and assessed. Prints messages per second for each count and the ratio to one worker,
and, because the machine may be shared, what does not depend on it: the CPU seconds each part
(workers, PostgreSQL, nats-server) spent per 1,000 messages, where the workers' wall time went
(fetch, assess, store, ack; from their heartbeats), batches re-run after meeting another
writer, partitions that changed hands, and what PostgreSQL's sessions were waiting on (sampled
from pg_stat_activity), with the load average before and after. Usage:

    .venv/bin/python benchmarks/scale.py [--messages 5000] [--workers 1,2] [--threads 1] [--partitions 8]
    .venv/bin/python benchmarks/scale.py --burst 50000 --workers 2   # lag over time while it drains
    .venv/bin/python benchmarks/scale.py --profile /tmp/prof          # cProfile each worker

With `--own-sessions` each worker runs in a session of its own (see docs/benchmarks.md on
autogroup scheduling). With `--burst N` the N messages are published first, as fast as the broker takes them, and the
lag (published, not yet acknowledged) is printed every few seconds while the workers drain it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from benchmarks.ingest import messages  # noqa: E402 - realistic replies, shared with benchmarks/ingest.py

from hustings.events import SYSTEM_ACTOR  # noqa: E402
from hustings.messages.model import MessageIn  # noqa: E402
from hustings.services import Services  # noqa: E402
from hustings.settings import Settings  # noqa: E402
from hustings.storage.database import make_engine, make_sessionmaker, transaction, upgrade  # noqa: E402
from hustings.stream.broker import Broker  # noqa: E402
from hustings.stream.partition import partition_of  # noqa: E402
from tests.natsserver import TempNats  # noqa: E402 - the suite's throwaway servers
from tests.pgserver import TempPostgres  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
SPLITS = ("fetch_seconds", "assess_seconds", "store_seconds", "ack_seconds")


def worker_command(profile: Path | None, name: str) -> list[str]:
    if profile is None:
        return [sys.executable, "-c", "from hustings.cli.main import app; app()", "worker", "--id", name]
    runner = (
        f"import cProfile, sys; sys.argv = ['hustings', 'worker', '--id', {name!r}]; "
        f"from hustings.cli.main import app; cProfile.run('app()', {str(profile / name)!r})"
    )
    return [sys.executable, "-c", runner]


def cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of `pid` (with its reaped children's, for the postmaster's exited backends)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def postgres_cpu(postmaster: int) -> float:
    """The server's CPU: the postmaster, its live backends, and the backends it has reaped."""
    total = cpu_seconds(postmaster, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            if parent == postmaster:
                total += cpu_seconds(int(entry.name))
    return total


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Run:
    workers: int
    total: int
    publish_rate: float = 0.0
    rate: float = 0.0
    largest_lag: int = 0
    load_before: str = ""
    load_after: str = ""
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds during the drain: workers, postgresql, nats."""
    stats: dict[str, dict[str, float]] = field(default_factory=dict)
    waits: collections.Counter[str] = field(default_factory=collections.Counter)
    lag_over_time: list[tuple[float, int, int]] = field(default_factory=list)
    """(seconds since the publish began, lag, stored and assessed)."""
    moves: list[tuple[float, int, str | None, str | None]] = field(default_factory=list)
    """Partitions changing hands during the drain: (seconds, partition, from, to)."""


def assessed(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM events WHERE kind = 'message.assessed'")
            ).scalar_one()
        )


def sample_waits(engine: Engine, database: str, into: collections.Counter[str]) -> None:
    """What each of the workers' sessions is doing now: on CPU, or waiting on a lock, I/O, the client."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT state, wait_event_type, wait_event, left(query, 48) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ),
            {"name": database},
        ).all()
    for state, wait_type, wait, query in rows:
        if state == "active" and wait_type == "Lock":
            into[f"waiting on a {wait} lock in {query!r}"] += 1
        elif state == "active":
            into["active: " + (f"{wait_type}:{wait}" if wait_type else "on CPU")] += 1
        else:
            into[str(state)] += 1


def run(
    workers: int,
    total: int,
    threads: int,
    partitions: int,
    postgres: TempPostgres,
    url_root: str,
    profile: Path | None,
    burst: bool,
    own_sessions: bool,
) -> Run:
    name = f"hustings_scale_{workers}"
    admin = create_engine(url_root, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = url_root.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    nats = TempNats()
    nats.start()
    assert nats.process is not None
    env = {
        "HUSTINGS_ENVIRONMENT": "test",
        "HUSTINGS_DATABASE_URL": url,
        "HUSTINGS_BROKER_URL": nats.url,
        "HUSTINGS_BROKER_PARTITIONS": str(partitions),
        # The workers hold both cores while a burst drains: the benchmark's status reads wait longer.
        "HUSTINGS_BROKER_TIMEOUT_SECONDS": "30",
        "HUSTINGS_DETECT_THREADS": str(threads),
        "HUSTINGS_ASSESS_ON_INGEST": "true",
        "HUSTINGS_LOG_LEVEL": "WARNING",
    }
    settings = Settings.model_validate(
        {key.removeprefix("HUSTINGS_").lower(): value for key, value in env.items()}
    )
    broker = Broker(settings)
    processes = [
        subprocess.Popen(
            worker_command(profile, f"w{n}"),
            env=os.environ | {"PYTHONPATH": str(ROOT / "src")} | env,
            stdout=subprocess.DEVNULL,
            # Linux's autogroup scheduling gives each session one share of the CPU: workers in
            # the benchmark's own session share one between them however many there are.
            start_new_session=own_sessions,
        )
        for n in range(workers)
    ]
    result = Run(workers, total)
    postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    try:
        while True:  # every partition held, and shared out
            status = broker.status()
            holders = {p.holder for p in status.partitions}
            if None not in holders and len(holders) == workers:
                break
            time.sleep(0.2)
        batch = messages(total, seed=workers)
        result.load_before = load()
        cpu_before = {
            "workers": sum(cpu_seconds(p.pid) for p in processes),
            "postgresql": postgres_cpu(postmaster),
            "nats": cpu_seconds(nats.process.pid),
        }
        started = time.perf_counter()
        sessions = make_sessionmaker(engine)
        for start in range(0, total, 500):
            with transaction(sessions, writes=True) as session:
                Services(session=session, settings=settings, broker=broker).ingest(
                    batch[start : start + 500], actor=SYSTEM_ACTOR
                )
        published = time.perf_counter() - started
        last_print = 0.0
        holders_now = {p.partition: p.holder for p in broker.status().partitions}
        while True:
            done = assessed(engine)
            if done >= total:
                break
            status = broker.status()
            lag = sum(p.lag + p.in_flight for p in status.partitions)
            now = time.perf_counter() - started
            # A read of the lease bucket that races with the renewals can list no key at all
            # (every partition unheld for one sample): not a move, so not counted as one.
            unheld = all(p.holder is None for p in status.partitions)
            for p in [] if unheld else status.partitions:
                if holders_now.get(p.partition) != p.holder:
                    result.moves.append((now, p.partition, holders_now.get(p.partition), p.holder))
                    holders_now[p.partition] = p.holder
            result.largest_lag = max(result.largest_lag, lag)
            sample_waits(engine, name, result.waits)
            result.lag_over_time.append((now, lag, done))
            if burst and now - last_print >= 10:
                print(f"  {now:6.0f} s  lag {lag:>7,}  stored and assessed {done:>7,}", flush=True)
                last_print = now
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        result.cpu = {
            "workers": sum(cpu_seconds(p.pid) for p in processes) - cpu_before["workers"],
            "postgresql": postgres_cpu(postmaster) - cpu_before["postgresql"],
            "nats": cpu_seconds(nats.process.pid) - cpu_before["nats"],
        }
        result.load_after = load()
        result.publish_rate, result.rate = total / published, total / elapsed
        # The workers' counters arrive with their next heartbeat (every lease/3 seconds).
        deadline = time.monotonic() + 3 * settings.worker_lease_seconds
        while time.monotonic() < deadline:
            result.stats = broker.status().workers
            if sum(s.get("batch_messages", 0) for s in result.stats.values()) >= total:
                break
            time.sleep(0.5)
        return result
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(60)
        broker.close()
        nats.stop()
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def spread(total: int, seed: int, partitions: int) -> list[int]:
    """Messages per partition, as the publish spreads them (no target is registered here)."""
    counts = [0] * partitions
    for raw in messages(total, seed=seed):
        counts[partition_of(MessageIn.model_validate(raw), partitions, {})] += 1
    return counts


def report(result: Run, first: float) -> None:
    total = result.total
    print(
        f"{result.workers} worker(s): {result.rate:,.0f} msg/s stored and assessed "
        f"({result.rate / first:.2f}x one worker); publish {result.publish_rate:,.0f} msg/s; "
        f"largest lag {result.largest_lag:,}; load average {result.load_before} before, {result.load_after} after",
        flush=True,
    )
    per_k = ", ".join(f"{part} {seconds * 1000 / total:.2f}" for part, seconds in result.cpu.items())
    print(f"  CPU seconds per 1,000 messages: {per_k}", flush=True)
    for worker, stats in sorted(result.stats.items()):
        splits = ", ".join(f"{key.removesuffix('_seconds')} {stats.get(key, 0):.1f} s" for key in SPLITS)
        print(
            f"  {worker}: {stats.get('batch_messages', 0):,.0f} messages in {stats.get('batches', 0):,.0f} batches; "
            f"{splits}; re-run {stats.get('reruns', 0):.0f}, partitions taken {stats.get('partitions_taken', 0):.0f} "
            f"lost {stats.get('partitions_lost', 0):.0f}, redeliveries {stats.get('redeliveries', 0):.0f}, "
            f"errors {stats.get('errors', 0):.0f}",
            flush=True,
        )
    moves = "; ".join(f"{t:.0f} s: {part} {a or '-'} -> {b or '-'}" for t, part, a, b in result.moves)
    print(f"  partitions changing hands while draining: {moves or 'none'}", flush=True)
    samples = sum(result.waits.values())
    if samples:
        waits = ", ".join(f"{key} {n * 100 / samples:.0f}%" for key, n in result.waits.most_common(6))
        print(f"  PostgreSQL sessions ({samples} samples): {waits}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument(
        "--burst", type=int, default=0, help="publish this many at once and print the lag as it drains"
    )
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--threads", type=int, default=1, help="detector threads per worker")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument(
        "--own-sessions",
        action="store_true",
        help="start each worker in a session of its own, as separate services are (see docs/benchmarks.md)",
    )
    parser.add_argument("--profile", type=Path, default=None, help="write each worker's cProfile here")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--pg-log",
        type=Path,
        default=None,
        help="log statements over 100 ms and lock waits over 100 ms, and copy PostgreSQL's log here",
    )
    args = parser.parse_args()
    total = args.burst or args.messages
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    print(
        f"{total:,} messages over {args.partitions} partitions: {spread(total, 1, args.partitions)}",
        flush=True,
    )
    postgres = TempPostgres()
    url = postgres.start()
    results = []
    if args.pg_log is not None:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for setting in (
                "log_min_duration_statement = 100",
                "log_lock_waits = on",
                "deadlock_timeout = 100",
            ):
                connection.execute(text(f"ALTER SYSTEM SET {setting}"))
            connection.execute(text("SELECT pg_reload_conf()"))
        admin.dispose()
    try:
        first: float | None = None
        for workers in (int(n) for n in args.workers.split(",")):
            result = run(
                workers,
                total,
                args.threads,
                args.partitions,
                postgres,
                url,
                args.profile,
                bool(args.burst),
                args.own_sessions,
            )
            first = first or result.rate
            report(result, first)
            results.append(result)
    finally:
        if args.pg_log is not None:
            args.pg_log.write_bytes((postgres.root / "log").read_bytes())
        postgres.stop()
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "workers": r.workers,
                        "messages": r.total,
                        "rate": r.rate,
                        "publish_rate": r.publish_rate,
                        "largest_lag": r.largest_lag,
                        "load_before": r.load_before,
                        "load_after": r.load_after,
                        "cpu": r.cpu,
                        "stats": r.stats,
                        "waits": dict(r.waits),
                        "lag_over_time": r.lag_over_time,
                        "moves": r.moves,
                    }
                    for r in results
                ],
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
