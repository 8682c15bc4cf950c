"""Sustained ingest through POST /v1/messages, in batches of 500, with assessment off or on.

Starts `hustings serve` in its own process on loopback (embedded SQLite in a temporary folder,
then a throwaway PostgreSQL started from Debian's binaries), sends realistic messages from one
client and prints messages per second. Usage:

    .venv/bin/python benchmarks/ingest.py [--messages 20000] [--batch 500] [--only sqlite|postgresql] [--assess]

With `--assess` the detector runs on every ingested message, as in the default install.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pgserver import TempPostgres  # noqa: E402 - the suite's throwaway server

HUSTINGS = str(Path(sys.executable).parent / "hustings")
# Replies to politicians are mostly distinct texts: build them from a few hundred words, so
# near-duplicate clustering sees realistic (mostly singleton) traffic.
WORDS = sorted(set("""  # noqa: SIM905 - a paragraph is easier to read and extend
council housing budget vote resign policy bypass hospital school tax promise shambles disgrace support thank
you constituency surgery local election debate answer why did your party cut the library again nobody asked
for this road scheme bus routes buses trains potholes bins recycling parking fees rents landlords tenants nurses
doctors waiting lists care homes pensions benefits energy bills heating insulation flooding river sewage water
farmers fishing brexit europe trade jobs wages strike unions teachers pupils classrooms funding police crime
knife antisocial behaviour drugs shops high street markets pubs closing open tomorrow meeting hall village town
city ward councillor mayor minister shadow cabinet prime leader opposition government manifesto pledge broken
kept delivered failed proud shameful honest dishonest lies truth facts figures statistics numbers report
inquiry scandal expenses second job lobbying donors donations campaign leaflets canvassing doorstep voters
polling station count recount majority marginal seat swing tactical coalition referendum petition protest
march rally speech interview podcast radio television newspaper column letter email reply ignored promised
answered listened visited forgot remember november december january spring summer autumn winter
""".split()))  # noqa: SIM905


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def messages(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    out = []
    for n in range(count):
        author = rng.randrange(5000)
        out.append({
            "source": "x",
            "external_id": f"bench-{seed}-{n}",
            "text": " ".join(rng.choice(WORDS) for _ in range(rng.randrange(8, 40))),
            "created_at": (start + timedelta(seconds=n)).isoformat(),
            "author": {"id": str(author), "handle": f"@user{author}", "followers": rng.randrange(2000),
                       "created_at": (start - timedelta(days=rng.randrange(3000))).isoformat()},
            "targets": [f"@candidate{rng.randrange(50)}"],
            "in_reply_to": f"bench-{seed}-{rng.randrange(n)}" if n and rng.random() < 0.5 else None,
            "lang": "en",
        })
    return out


def run(kind: str, env: dict[str, str], total: int, batch: int) -> float:
    subprocess.run([HUSTINGS, "db", "upgrade"], env=env, check=True, capture_output=True)
    added = subprocess.run([HUSTINGS, "users", "add", "bench", "--role", "admin"], env=env, check=True,
                           capture_output=True, text=True)
    token = added.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([HUSTINGS, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            for _ in range(200):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            client.post("/v1/messages", json={"messages": messages(batch, seed=999)}).raise_for_status()  # warm-up
            payload = messages(total, seed=1)
            started = time.perf_counter()
            accepted = 0
            for offset in range(0, total, batch):
                response = client.post("/v1/messages", json={"messages": payload[offset : offset + batch]})
                response.raise_for_status()
                accepted += response.json()["accepted"]
            elapsed = time.perf_counter() - started
            again = client.post("/v1/messages", json={"messages": payload[:batch]}).json()
    finally:
        server.terminate()
        server.wait(timeout=20)
    rate = accepted / elapsed
    print(f"{kind:<11} {accepted:>7} messages in {elapsed:6.2f} s = {rate:8.0f} messages/s "
          f"(batches of {batch}; resend of one batch: {again['duplicates']} duplicates, {again['accepted']} accepted)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--assess", action="store_true", help="run the detector on ingest (the default install)")
    args = parser.parse_args()
    base = {
        **os.environ,
        "HUSTINGS_ASSESS_ON_INGEST": "true" if args.assess else "false",
        "HUSTINGS_LOG_LEVEL": "WARNING",
    }
    print(
        f"ingest benchmark: {args.messages} messages, assessment {'on' if args.assess else 'off'}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "sqlite"):
            run("sqlite", base | {"HUSTINGS_DATA_DIR": folder}, args.messages, args.batch)
        if args.only in (None, "postgresql"):
            server = TempPostgres()
            url = server.start()
            try:
                run("postgresql", base | {"HUSTINGS_DATA_DIR": folder, "HUSTINGS_DATABASE_URL": url},
                    args.messages, args.batch)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
