"""A small team at once: concurrent clients mixing reads, ingest, reports and decisions.

Starts `hustings serve` (this checkout's code) in its own process on loopback, on the embedded
SQLite in a temporary folder and then on a throwaway PostgreSQL started from Debian's binaries;
loads 400 messages, then runs `--clients` threads, each making `--requests` requests (about 70%
reads of queues, items, messages and console pages, 15% ingest batches of 10, 10% reports and 5%
decisions on items of its own), while pairs of moderators race to decide the same items. Prints
requests per second, p50 and p95 latency, the answers by status class, transport errors, and
how the races ended (one 201 and one 409 each is right). Usage:

    .venv/bin/python benchmarks/mixed_load.py [--clients 16] [--requests 60] [--assess] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import free_port, messages  # noqa: E402 - the ingest benchmark's generator

from tests.pgserver import TempPostgres  # noqa: E402 - the suite's throwaway server

HUSTINGS = [sys.executable, "-c", "from hustings.cli.main import run; run()"]
SEED_MESSAGES = 400
RACES = 20


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    classes: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    transport_errors: int = 0
    races: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, send: Callable[..., httpx.Response], path: str, **body: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = send(path, **body)
        except httpx.TransportError:
            with self.lock:
                self.transport_errors += 1
            return None
        with self.lock:
            took = time.perf_counter() - started
            self.latencies.append(took)
            self.by_kind.setdefault("read" if send.__name__ == "get" else concept(path), []).append(took)
            self.classes[f"{response.status_code // 100}xx"] += 1
            if response.status_code >= 400:
                self.refusals[f"{response.status_code} {response.request.method} {concept(path)}"] += 1
        return response


def concept(path: str) -> str:
    """`/v1/items/x` -> items, `/console/queues/x` -> console."""
    parts = path.strip("/").split("/")
    return parts[1] if parts[0] == "v1" and len(parts) > 1 else parts[0]


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """The median and 95th percentile, in milliseconds."""
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


def hustings(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*HUSTINGS, *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout


def token_for(env: dict[str, str], name: str, role: str) -> str:
    return hustings(env, "users", "add", name, "--role", role).strip().splitlines()[-1]


def run(kind: str, env: dict[str, str], clients: int, requests: int) -> None:
    hustings(env, "db", "upgrade")
    tokens = {
        "ingester": token_for(env, "ingester", "admin"),
        "flagger": token_for(env, "flagger", "flagger"),
        "reader": token_for(env, "reader", "triage"),
        **{f"mod{i}": token_for(env, f"mod{i}", "moderator") for i in range(4)},
    }
    port = free_port()
    server = subprocess.Popen(
        [*HUSTINGS, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def client(name: str) -> httpx.Client:
        return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens[name]}"}, timeout=120)

    try:
        with client("ingester") as setup:
            for _ in range(300):
                try:
                    if setup.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            ids: list[str] = []
            seeded = messages(SEED_MESSAGES, seed=7)
            for offset in range(0, SEED_MESSAGES, 100):
                response = setup.post("/v1/messages", json={"messages": seeded[offset : offset + 100]})
                response.raise_for_status()
                ids += response.json()["ids"]
        results = Results()
        contested = ids[:RACES]
        own = iter(ids[RACES:])
        own_lock = threading.Lock()
        fresh = itertools.count()
        fresh_lock = threading.Lock()
        start = threading.Barrier(clients + 4, timeout=300)
        pairs = [threading.Barrier(2, timeout=300) for _ in range(2)]

        def worker(number: int) -> None:
            rng = random.Random(number)
            with (
                client("reader") as reader,
                client("ingester") as ingester,
                client("flagger") as flagger,
                client(f"mod{number % 4}") as moderator,
            ):
                start.wait()
                for _ in range(requests):
                    roll = rng.random()
                    if roll < 0.70:
                        path = rng.choice(
                            [
                                "/v1/queues",
                                "/v1/queues/unreviewed/items",
                                f"/v1/items/{rng.choice(ids)}",
                                f"/v1/messages/{rng.choice(ids)}",
                                "/console",
                                "/console/queues/unreviewed",
                            ]
                        )
                        results.timed(reader.get, path)
                    elif roll < 0.85:
                        with fresh_lock:
                            seed = 1000 + next(fresh)
                        results.timed(
                            ingester.post, "/v1/messages", json={"messages": messages(10, seed=seed)}
                        )
                    elif roll < 0.95:
                        body = {"message_id": rng.choice(ids), "category": "abuse"}
                        results.timed(flagger.post, "/v1/reports", json=body)
                    else:
                        with own_lock:
                            mine = next(own, None)
                        if mine is not None:
                            body = {"message_id": mine, "action": "remove", "policy_rule": "T1"}
                            results.timed(moderator.post, "/v1/decisions", json=body)

        def racer(index: int) -> None:
            pair = pairs[index // 2]
            items = contested[(index // 2) :: 2]
            with client(f"mod{index}") as moderator:
                start.wait()
                for message_id in items:
                    pair.wait()
                    body = {"message_id": message_id, "action": "remove", "policy_rule": "T1"}
                    response = results.timed(moderator.post, "/v1/decisions", json=body)
                    with results.lock:
                        results.races.setdefault(message_id, []).append(
                            response.status_code if response is not None else 0
                        )

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
        threads += [threading.Thread(target=racer, args=(i,)) for i in range(4)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    total = len(results.latencies) + results.transport_errors
    p50, p95 = percentiles(results.latencies)
    outcomes = Counter(tuple(sorted(codes)) for codes in results.races.values())
    print(
        f"{kind:<11} {total} requests in {elapsed:6.1f} s = {total / elapsed:6.1f} requests/s; "
        f"p50 {p50:6.0f} ms, p95 {p95:6.0f} ms; "
        f"{', '.join(f'{k} {v}' for k, v in sorted(results.classes.items()))}; "
        f"transport errors {results.transport_errors}; "
        f"races: {', '.join(f'{list(k)} x{v}' for k, v in sorted(outcomes.items()))}"
    )
    print(
        f"{'':<11} by kind: "
        + "; ".join(
            f"{kind} {len(times)}: p50 {percentiles(times)[0]:.0f} ms, p95 {percentiles(times)[1]:.0f} ms"
            for kind, times in sorted(results.by_kind.items())
        )
    )
    if results.refusals:
        print(f"{'':<11} refused: {', '.join(f'{k} x{v}' for k, v in results.refusals.most_common())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=60, help="requests per client")
    parser.add_argument(
        "--assess", action="store_true", help="run the detector on ingest (the default install)"
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    base = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "HUSTINGS_ASSESS_ON_INGEST": "true" if args.assess else "false",
        "HUSTINGS_LOG_LEVEL": "WARNING",
    }
    print(
        f"mixed load: {args.clients} clients x {args.requests} requests + 4 racing moderators, "
        f"assessment {'on' if args.assess else 'off'}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            run("sqlite", base | {"HUSTINGS_DATA_DIR": folder}, args.clients, args.requests)
    if args.only in (None, "postgresql"):
        with tempfile.TemporaryDirectory() as folder:
            server = TempPostgres()
            url = server.start()
            try:
                run(
                    "postgresql",
                    base | {"HUSTINGS_DATA_DIR": folder, "HUSTINGS_DATABASE_URL": url},
                    args.clients,
                    args.requests,
                )
            finally:
                server.stop()


if __name__ == "__main__":
    main()
