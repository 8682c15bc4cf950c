"""End-to-end throughput through the broker: publish -> stored and assessed, with 1 and 2 workers.

Starts its own nats-server (JetStream) and PostgreSQL from Debian's binaries on loopback, and
for each worker count a fresh database and stream: starts the workers (`hustings worker`, each
detector held to HUSTINGS_DETECT_THREADS threads), waits until every partition is held,
publishes the messages in batches of 500 (timing the publish), and times until every message
is stored and assessed. Prints messages per second for each count, the ratio to one worker,
and the largest lag seen while the burst drained. Usage:

    .venv/bin/python benchmarks/scale.py [--messages 5000] [--workers 1,2] [--threads 1] [--partitions 8]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from benchmarks.ingest import messages  # noqa: E402 - realistic replies, shared with benchmarks/ingest.py

from hustings.events import SYSTEM_ACTOR  # noqa: E402
from hustings.services import Services  # noqa: E402
from hustings.settings import Settings  # noqa: E402
from hustings.storage.database import make_engine, make_sessionmaker, transaction, upgrade  # noqa: E402
from hustings.stream.broker import Broker  # noqa: E402
from tests.natsserver import TempNats  # noqa: E402 - the suite's throwaway servers
from tests.pgserver import TempPostgres  # noqa: E402

HUSTINGS = [sys.executable, "-c", "from hustings.cli.main import app; app()"]


def run(workers: int, total: int, threads: int, partitions: int, postgres: str) -> tuple[float, float, int]:
    """(publish msg/s, end-to-end msg/s, largest lag) for `workers` workers on fresh stores."""
    name = f"hustings_scale_{workers}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    nats = TempNats()
    nats.start()
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
            [*HUSTINGS, "worker", "--id", f"w{n}"],
            env=os.environ | {"PYTHONPATH": str(ROOT / "src")} | env,
            stdout=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    try:
        while True:  # every partition held, and shared out
            status = broker.status()
            holders = {p.holder for p in status.partitions}
            if None not in holders and len(holders) == workers:
                break
            time.sleep(0.2)
        batch = messages(total, seed=workers)
        started = time.perf_counter()
        sessions = make_sessionmaker(engine)
        for start in range(0, total, 500):
            with transaction(sessions, writes=True) as session:
                Services(session=session, settings=settings, broker=broker).ingest(
                    batch[start : start + 500], actor=SYSTEM_ACTOR
                )
        published = time.perf_counter() - started
        lag = 0
        with engine.connect() as connection:
            while True:
                assessed = connection.execute(
                    text("SELECT count(*) FROM events WHERE kind = 'message.assessed'")
                ).scalar_one()
                connection.rollback()
                if assessed >= total:
                    break
                lag = max(lag, sum(p.lag + p.in_flight for p in broker.status().partitions))
                time.sleep(0.1)
        elapsed = time.perf_counter() - started
        return total / published, total / elapsed, lag
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        broker.close()
        nats.stop()
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--threads", type=int, default=1, help="detector threads per worker")
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()
    postgres = TempPostgres()
    url = postgres.start()
    try:
        first: float | None = None
        for workers in (int(n) for n in args.workers.split(",")):
            publish, end_to_end, lag = run(workers, args.messages, args.threads, args.partitions, url)
            first = first or end_to_end
            print(
                f"{workers} worker(s), {args.threads} detector thread(s) each: {end_to_end:,.0f} msg/s stored and "
                f"assessed ({end_to_end / first:.2f}x one worker); publish {publish:,.0f} msg/s; "
                f"largest lag {lag:,} messages",
                flush=True,
            )
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
