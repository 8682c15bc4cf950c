"""Mastodon: a target's own account, its notifications streamed and polled, resumed by id.

The streaming API (`/api/v1/streaming?stream=user:notification`, over WebSocket) sends each
notification as it happens but replays nothing, so before each connection the connector polls
`GET /api/v1/notifications` for the mentions since the last notification id it committed
(`min_id`, page by page, oldest page first): a restart or a dropped connection misses nothing.
The access token (`HUSTINGS_MASTODON_ACCESS_TOKEN`) travels in the Authorization header only,
never in a URL, so it is in no log.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from hustings.sources import FORMATS, Record

PAGE = 40
"""Mastodon's largest page of notifications."""


def _later(position: str | None, candidate: object) -> str | None:
    """The later of two Mastodon ids (numeric strings, compared as numbers)."""
    if not isinstance(candidate, str) or not candidate.isdigit():
        return position
    if position is None or int(candidate) > int(position):
        return candidate
    return position


def _notification_id(value: object) -> object:
    """The notification id of a streaming `notification` event, or of a notification."""
    if not isinstance(value, Mapping):
        return None
    if value.get("event") == "notification" and isinstance(value.get("payload"), str):
        try:
            payload: Any = json.loads(value["payload"])
        except ValueError:
            return None
        return payload.get("id") if isinstance(payload, Mapping) else None
    return value.get("id") if "type" in value else None


class MastodonSource:
    format = FORMATS["mastodon"]

    def __init__(self, server: str, token: SecretStr) -> None:
        """`server`: the server's web address, e.g. ``https://fenmarsh.social``."""
        self.server = server.rstrip("/")
        self.token = token
        self.connector = f"mastodon {self.server}"

    def url(self, position: str | None) -> str:
        scheme, rest = self.server.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/api/v1/streaming?stream=user:notification"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token.get_secret_value()}"}

    def advance(self, position: str | None, value: object) -> str | None:
        if isinstance(value, list):
            for item in value:
                position = _later(position, _notification_id(item))
            return position
        return _later(position, _notification_id(value))

    async def catch_up(self, position: str | None) -> AsyncIterator[Record]:
        """Each page of mention notifications after `position`, oldest page first, as received;
        on a first run (no position), the newest page only."""
        async with httpx.AsyncClient(base_url=self.server, timeout=30) as client:
            while True:
                params: dict[str, str | int] = {"types[]": "mention", "limit": PAGE}
                if position is not None:
                    params["min_id"] = position
                response = await client.get("/api/v1/notifications", params=params, headers=self.headers())
                response.raise_for_status()
                page = json.loads(response.content)
                if not isinstance(page, list) or not page:
                    return
                yield Record(f"notifications after {position or 'none'}", response.content, page)
                after = self.advance(position, page)
                if position is None or after == position or len(page) < PAGE:
                    return
                position = after
