"""Bluesky through Jetstream: posts by the registered targets' DIDs, resumed from `time_us`.

Jetstream (https://github.com/bluesky-social/jetstream) sends each event as one JSON text frame;
`cursor=` (a `time_us`) replays from that moment, so the position kept is the `time_us` of the
last event read, and a restart or reconnect asks for the events from it on. The events read again
at the cursor are duplicates to ingest and are not stored twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from urllib.parse import urlencode

from hustings.sources import FORMATS, Record
from hustings.sources.bluesky import POST, SOURCE
from hustings.targets.model import Target

DEFAULT_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
MAX_WANTED_DIDS = 10_000
"""Jetstream's own limit on `wantedDids`."""


def target_dids(targets: Sequence[Target]) -> list[str]:
    """The DIDs registered for Bluesky, in register order, each once."""
    dids = [handle for target in targets for platform, handle in target.handles if platform == SOURCE]
    return list(dict.fromkeys(did for did in dids if did.startswith("did:")))[:MAX_WANTED_DIDS]


class JetstreamSource:
    format = FORMATS["bluesky-jetstream"]

    def __init__(self, url: str, dids: Sequence[str]) -> None:
        self.base = url
        self.dids = list(dids)
        self.connector = f"bluesky {url}"

    def url(self, position: str | None) -> str:
        query: list[tuple[str, str]] = [("wantedCollections", POST)]
        query += [("wantedDids", did) for did in self.dids]
        if position is not None:
            query.append(("cursor", position))
        return f"{self.base}{'&' if '?' in self.base else '?'}{urlencode(query)}"

    def headers(self) -> dict[str, str]:
        return {}

    def advance(self, position: str | None, value: object) -> str | None:
        time_us = value.get("time_us") if isinstance(value, Mapping) else None
        fresh = isinstance(time_us, int) and not isinstance(time_us, bool)
        if fresh and (position is None or int(str(time_us)) > int(position)):
            return str(time_us)
        return position

    async def catch_up(self, position: str | None) -> AsyncIterator[Record]:
        return
        yield  # an async generator that yields nothing: Jetstream replays from the cursor itself
