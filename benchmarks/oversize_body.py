"""What an oversized POST /v1/messages costs the server: its answer and its peak memory.

Starts `hustings serve` in its own process on loopback (embedded SQLite in a temporary folder),
sends one large JSON batch of tiny messages (the shape that grows most once parsed) three ways,
with no credentials and a Content-Length, with no credentials streamed in chunks, and with a
made-up bearer token, and prints the status and the growth of the server's peak resident memory
(VmHWM, so Linux only). Usage:

    .venv/bin/python benchmarks/oversize_body.py [--messages 280000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

HUSTINGS = str(Path(sys.executable).parent / "hustings")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def peak_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no VmHWM: this benchmark needs Linux")


def send(port: int, head: bytes, body: bytes) -> str:
    """Send a raw request; return the status line (the server may close before the body is sent)."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
        connection.sendall(head)
        with suppress(OSError):
            connection.sendall(body)
        answer = b""
        with suppress(OSError):
            while chunk := connection.recv(65536):
                answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def chunked(body: bytes, size: int = 65536) -> bytes:
    parts = (body[at : at + size] for at in range(0, len(body), size))
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=280_000, help="280,000 tiny messages is about 37 MB")
    args = parser.parse_args()
    message = {"source": "x", "text": "a", "created_at": "2026-01-01T00:00:00Z", "author": {"id": "1", "handle": "@a"}}
    body = json.dumps({"messages": [message | {"external_id": str(n)} for n in range(args.messages)]}).encode()
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "HUSTINGS_DATA_DIR": data, "HUSTINGS_ASSESS_ON_INGEST": "false",
               "HUSTINGS_LOG_LEVEL": "WARNING"}
        subprocess.run([HUSTINGS, "db", "upgrade"], env=env, check=True, capture_output=True)
        server = subprocess.Popen([HUSTINGS, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                time.sleep(0.1)
            print(f"oversize body: {len(body) / 1e6:.1f} MB of JSON, {args.messages} messages")
            start = b"POST /v1/messages HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            cases = [
                ("no credentials, Content-Length", start + b"Content-Length: %d\r\n\r\n" % len(body), body),
                ("no credentials, chunked", start + b"Transfer-Encoding: chunked\r\n\r\n", chunked(body)),
                ("made-up token, Content-Length",
                 start + b"Authorization: Bearer hus_made_up\r\nContent-Length: %d\r\n\r\n" % len(body), body),
            ]
            for name, head, payload in cases:
                before = peak_mb(server.pid)
                status = send(port, head, payload)
                print(f"  {name:<32} {status:<40} peak memory {before} -> {peak_mb(server.pid)} MB")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
