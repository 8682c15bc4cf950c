"""Real protocol servers for the connector tests, run in a thread on 127.0.0.1: a Jetstream
replaying the recorded sample from `cursor=`, and a Mastodon serving notifications over HTTP
and its streaming API over WebSocket. Each drops its first connection part way through."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from tests.sources.samples import SAMPLES

Handler = Callable[[ServerConnection], Awaitable[None]]
ProcessRequest = Callable[[ServerConnection, Request], Awaitable[Response | None]]


@contextmanager
def running(handler: Handler, process_request: ProcessRequest | None = None) -> Iterator[int]:
    """A websockets server on a free port of 127.0.0.1, in its own thread; yields the port."""
    loop = asyncio.new_event_loop()
    started: list[Server] = []
    ready = threading.Event()

    async def start() -> None:
        started.append(await serve(handler, "127.0.0.1", 0, process_request=process_request))
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    ready.wait(10)
    server = started[0]
    try:
        yield server.sockets[0].getsockname()[1]
    finally:

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def jetstream_lines() -> list[str]:
    """The recorded Jetstream events (the sample's lines that are JSON, as Jetstream sends only JSON)."""
    kept = []
    for line in (SAMPLES / "jetstream.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            json.loads(line)
        except ValueError:
            continue
        kept.append(line)
    return kept


@dataclass
class Jetstream:
    """Replays the sample as Jetstream does: filtered by `wantedCollections` and `wantedDids`,
    from `cursor` (a `time_us`, inclusive) on; the first connection is closed after `drop_after`
    events."""

    drop_after: int = 4
    queries: list[dict[str, list[str]]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    def events(self, query: dict[str, list[str]]) -> list[str]:
        collections = set(query.get("wantedCollections", []))
        dids = set(query.get("wantedDids", []))
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        chosen = []
        for line in jetstream_lines():
            event = json.loads(line)
            if dids and event.get("did") not in dids:
                continue
            commit = event.get("commit")
            if collections and isinstance(commit, dict) and commit.get("collection") not in collections:
                continue
            if cursor is not None and event["time_us"] < cursor:
                continue
            chosen.append(line)
        return chosen

    async def handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        query = parse_qs(urlsplit(connection.request.path).query)
        self.queries.append(query)
        events = self.events(query)
        first = len(self.queries) == 1
        for number, line in enumerate(events, start=1):
            await connection.send(line)
            self.sent.append(line)
            if first and number == self.drop_after:
                await connection.close(1011, "dropped in the middle")
                return
        await connection.wait_closed()


def _streamed(notification: dict[str, Any]) -> str:
    return json.dumps(
        {"stream": ["user:notification"], "event": "notification", "payload": json.dumps(notification)}
    )


@dataclass
class Mastodon:
    """A Mastodon server for one account. Notifications "happen" in the order of `timeline`:
    those in `before` have happened when the connector starts (it must poll for them); on the
    first streaming connection one more is streamed, the next happens unstreamed, and the
    connection drops (the connector must poll for the one it missed); on the second, the last
    is streamed."""

    token: str
    timeline: list[dict[str, Any]]
    before: int = 2
    happened: int = 0
    connections: int = 0
    polls: list[dict[str, list[str]]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.happened = self.before

    def _authorised(self, headers: Headers) -> bool:
        return headers.get("Authorization") == f"Bearer {self.token}"

    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path)
        if not self._authorised(request.headers):
            return connection.respond(HTTPStatus.UNAUTHORIZED, '{"error": "The access token is invalid"}\n')
        split = urlsplit(request.path)
        if split.path == "/api/v1/streaming":
            return None
        if split.path != "/api/v1/notifications":
            return connection.respond(HTTPStatus.NOT_FOUND, '{"error": "Record not found"}\n')
        query = parse_qs(split.query)
        self.polls.append(query)
        types = set(query.get("types[]", []))
        after = int(query["min_id"][0]) if "min_id" in query else 0
        limit = int(query.get("limit", ["20"])[0])
        chosen = [
            n
            for n in self.timeline[: self.happened]
            if int(n["id"]) > after and (not types or n["type"] in types)
        ]
        # min_id gives the page just after it; a page is newest first.
        page = sorted(chosen, key=lambda n: int(n["id"]))[:limit][::-1]
        body = json.dumps(page).encode()
        return Response(200, "OK", Headers([("Content-Type", "application/json")]), body)

    async def handler(self, connection: ServerConnection) -> None:
        self.connections += 1
        if self.connections == 1:
            await connection.send(_streamed(self.timeline[self.happened]))
            self.happened += 2  # the next one happens while the connection is going down
            await connection.close(1011, "dropped in the middle")
            return
        if self.connections == 2 and self.happened < len(self.timeline):
            await connection.send(_streamed(self.timeline[self.happened]))
            self.happened += 1
        await connection.wait_closed()
