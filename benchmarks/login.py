"""Logging in as an attacker would: does the answer's time tell real names from unknown ones,
and do fifty wrong passwords in a row get anywhere?

Starts `hustings serve` in its own process on loopback (embedded SQLite in a temporary folder,
or a throwaway PostgreSQL with --postgresql), makes `--users` users, then:

1. timing: a wrong password for a real name, then for an unknown one, alternately, each pair
   from a fresh address (sent as X-Forwarded-For, which uvicorn trusts from loopback) so that
   back-off does not come into it; prints the median and p95 of each and their difference;
2. brute force: fifty wrong passwords for one name from one address as fast as the client can
   send them, then the right one; prints how many were answered 401 (checked) and 429 (refused
   unchecked), the last Retry-After, and what the right password got.

Usage:

    .venv/bin/python benchmarks/login.py [--users 60] [--postgresql]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pgserver import TempPostgres  # noqa: E402 - the suite's throwaway server

HUSTINGS = str(Path(sys.executable).parent / "hustings")
PASSWORD = "correct-horse-battery"  # noqa: S105 - the throwaway users of this run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def attempt(client: httpx.Client, name: str, password: str, address: str) -> tuple[int, float, str | None]:
    """One login from `address` with a fresh form token; the status, the POST's time in ms, Retry-After."""
    page = client.get("/login", headers={"x-forwarded-for": address})
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    started = time.perf_counter()
    reply = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": found[1]},
        headers={"x-forwarded-for": address},
    )
    return reply.status_code, (time.perf_counter() - started) * 1000, reply.headers.get("retry-after")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def run(kind: str, env: dict[str, str], users: int) -> None:
    subprocess.run([HUSTINGS, "db", "upgrade"], env=env, check=True, capture_output=True)
    for n in range(users):
        subprocess.run(
            [HUSTINGS, "users", "add", f"member{n}", "--role", "moderator", "--password", PASSWORD],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
    port = free_port()
    server = subprocess.Popen([HUSTINGS, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, follow_redirects=False) as client:
            for _ in range(200):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            attempt(client, "member0", PASSWORD, "10.255.0.1")  # warm-up
            real: list[float] = []
            unknown: list[float] = []
            for n in range(users):
                status, ms, _ = attempt(client, f"member{n}", "wrong-password", f"10.1.{n // 250}.{n % 250}")
                assert status == 401, status
                real.append(ms)
                status, ms, _ = attempt(client, f"nobody{n}", "wrong-password", f"10.2.{n // 250}.{n % 250}")
                assert status == 401, status
                unknown.append(ms)
            print(f"{kind}: wrong password, {users} each, alternating (ms)")
            print(f"  real name     median {statistics.median(real):7.1f}   p95 {p95(real):7.1f}")
            print(f"  unknown name  median {statistics.median(unknown):7.1f}   p95 {p95(unknown):7.1f}")
            print(f"  difference of medians {statistics.median(real) - statistics.median(unknown):+.1f}")

            started = time.perf_counter()
            outcomes = [attempt(client, "member1", f"guess-{n}", "10.3.0.1") for n in range(50)]
            elapsed = time.perf_counter() - started
            statuses = Counter(status for status, _, _ in outcomes)
            right = attempt(client, "member1", PASSWORD, "10.3.0.1")
            print(f"{kind}: 50 wrong passwords for one name from one address in {elapsed:.1f} s: "
                  f"{statuses[401]} checked (401), {statuses[429]} refused (429, last Retry-After "
                  f"{outcomes[-1][2]} s); then the right password: {right[0]}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    base = {**os.environ, "HUSTINGS_ASSESS_ON_INGEST": "false", "HUSTINGS_LOG_LEVEL": "WARNING"}
    print(f"login benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        if not args.postgresql:
            run("sqlite", base | {"HUSTINGS_DATA_DIR": folder}, args.users)
            return
        server = TempPostgres()
        url = server.start()
        try:
            run("postgresql", base | {"HUSTINGS_DATA_DIR": folder, "HUSTINGS_DATABASE_URL": url}, args.users)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
