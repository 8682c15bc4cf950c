"""A throwaway NATS server with JetStream for the test suite, from Debian's `nats-server`, on loopback.

Like `tests.pgserver`: the suite owns its server, in a temporary store directory, and can stop
and start it again on the same port (the broker-down tests).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.pgserver import _free_port


class NatsUnavailable(RuntimeError):
    pass


def _binary() -> str:
    found = shutil.which("nats-server") or next(
        (
            str(path)
            for path in (Path("/usr/sbin/nats-server"), Path("/usr/bin/nats-server"))
            if path.exists()
        ),
        None,
    )
    if found is None:
        raise NatsUnavailable("nats-server is not installed: apt-get install nats-server")
    return found


class TempNats:
    def __init__(self) -> None:
        self.binary = _binary()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="hustings-nats-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> str:
        log = (self.root / "log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.root / "store")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20  # a guard against a hang, not a timing assertion
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NatsUnavailable(f"nats-server exited: {(self.root / 'log').read_text()[-500:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return self.url
            time.sleep(0.05)
        raise NatsUnavailable("nats-server did not start listening")

    def halt(self) -> None:
        """Stop the server, keeping its store (for starting it again)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)
