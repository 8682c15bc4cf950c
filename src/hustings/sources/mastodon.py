"""Mastodon: statuses, notifications and streaming events, as the Mastodon API delivers them.

A record is one of: a status (`GET /api/v1/statuses/:id`), an array of statuses (a timeline),
a notification (`GET /api/v1/notifications`; a `mention` carries its status), an array of
those, a conversation (`last_status`), or a streaming event (`{"event": "update" |
"notification" | "conversation", "payload": "<JSON as a string>"}`, as the WebSocket streaming
API sends them). A streaming `status.update` is an edit (the status as it now reads) and a
`delete` a deletion at source (of the status with that local id, seen earlier by this converter):
both a `Change`. Everything else (favourites, boosts, follows, filters) is skipped and counted.

What is portable and what is not: a status's `id` is local to the server that served it, its
`uri` is the same everywhere, so the `uri` is the `external_id`. `in_reply_to_id` is local too:
the parent's `uri` is taken from a status with that id seen earlier in the same file (or
anywhere in the same record), or else derived where Mastodon's own rule allows: a status of an
account local to the server has the uri ``https://SERVER/users/NAME/statuses/ID``. A mention's
`acct` is relative to the server (``name`` for a local account, ``name@other.server``
otherwise); it is made absolute (``@name@server``) from the account's profile URL, so targets
register their Mastodon handle as ``name@server``. `content` is HTML and becomes plain text;
`spoiler_text` (the content warning), `visibility` and `sensitive` are kept in the message's
details.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hustings.messages.changes import SourceChange
from hustings.sources.html import html_to_text
from hustings.sources.record import (
    Change,
    FieldError,
    Outcome,
    Problem,
    Skipped,
    as_object,
    checked,
    describe,
    field_path,
    host_of,
    optional_count,
    optional_list,
    optional_object,
    optional_text,
    problem,
    required_text,
    unique_refs,
    within,
)

SOURCE = "mastodon"
NAME = "hustings.sources.mastodon"
VERSION = "1"
_VISIBILITIES = frozenset({"public", "unlisted", "private", "direct"})
_FIELDS = {
    "external_id": "uri",
    "text": "content",
    "created_at": "created_at",
    "author.id": "account.acct",
    "author.handle": "account.acct",
    "author.display_name": "account.display_name",
    "author.created_at": "account.created_at",
    "author.followers": "account.followers_count",
    "targets": "mentions",
    "url": "url",
    "lang": "language",
    "details.content_warning": "spoiler_text",
    "details.visibility": "visibility",
}


class MastodonConverter:
    """Reads Mastodon API records; remembers the statuses it has seen (local id to `uri`), so
    keep one converter per file."""

    name = NAME
    version = VERSION

    def __init__(self) -> None:
        self.uris: dict[str, str] = {}

    def convert(self, value: object) -> Iterator[Outcome]:
        self._remember(value, 0)
        yield from self._record(value, "")

    def _record(self, value: object, pointer: str) -> Iterator[Outcome]:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._record(item, within(pointer, index))
            return
        if not isinstance(value, Mapping):
            yield Problem(
                pointer,
                f"{describe(pointer) or 'record'}: expected a JSON object, got {type(value).__name__}",
            )
            return
        if "event" in value and "content" not in value:
            yield from self._streaming(value, pointer)
        elif "content" in value and "account" in value:
            yield from self._status(value, pointer)
        elif "type" in value and "account" in value:
            yield from self._notification(value, pointer)
        elif "last_status" in value:
            yield from self._conversation(value, pointer)
        else:
            yield Problem(
                pointer, "record: not a Mastodon status, notification, conversation or streaming event"
            )

    def _streaming(self, event: Mapping[str, Any], pointer: str) -> Iterator[Outcome]:
        kind = event.get("event")
        if kind == "delete":
            yield self._deleted(event.get("payload"), pointer)
            return
        if kind not in {"update", "notification", "conversation", "status.update"}:
            yield Skipped(pointer, f"streaming {kind}")
            return
        payload = event.get("payload")
        inner = within(pointer, "payload")
        try:
            value = json.loads(payload) if isinstance(payload, str) else payload
        except (json.JSONDecodeError, RecursionError):
            yield Problem(inner, "payload: not valid JSON")
            return
        self._remember(value, 0)
        if kind == "status.update":
            yield self._edited(value, inner)
        elif kind == "update":
            yield from self._status_or_problem(value, inner)
        elif kind == "notification":
            yield from self._notification_or_problem(value, inner)
        else:
            yield from self._conversation_or_problem(value, inner)

    def _edited(self, status: object, pointer: str) -> Outcome:
        try:
            status = as_object(status, "payload")
            uri = required_text(status, "uri")
            content = status.get("content")
            if not isinstance(content, str):
                raise FieldError("content", "missing" if content is None else "expected a string")
            edited_at = _moment(status.get("edited_at"), "edited_at")
        except FieldError as error:
            return problem(pointer, error)
        return Change(pointer, SourceChange(SOURCE, uri, html_to_text(content), edited_at))

    def _deleted(self, payload: object, pointer: str) -> Outcome:
        """A `delete` names the status by its local id only: known where this converter saw it."""
        uri = self.uris.get(str(payload)) if isinstance(payload, str | int) else None
        if uri is None:
            return Skipped(pointer, "streaming delete of a status not seen")
        return Change(pointer, SourceChange(SOURCE, uri, None))

    def _status_or_problem(self, value: object, pointer: str) -> Iterator[Outcome]:
        if isinstance(value, Mapping):
            yield from self._status(value, pointer)
        else:
            yield Problem(pointer, f"{describe(pointer)}: expected a status (a JSON object)")

    def _notification_or_problem(self, value: object, pointer: str) -> Iterator[Outcome]:
        if isinstance(value, Mapping):
            yield from self._notification(value, pointer)
        else:
            yield Problem(pointer, f"{describe(pointer)}: expected a notification (a JSON object)")

    def _conversation_or_problem(self, value: object, pointer: str) -> Iterator[Outcome]:
        if isinstance(value, Mapping):
            yield from self._conversation(value, pointer)
        else:
            yield Problem(pointer, f"{describe(pointer)}: expected a conversation (a JSON object)")

    def _notification(self, notification: Mapping[str, Any], pointer: str) -> Iterator[Outcome]:
        kind = notification.get("type")
        if kind != "mention":
            yield Skipped(pointer, f"notification {kind}")
            return
        yield from self._status_or_problem(notification.get("status"), within(pointer, "status"))

    def _conversation(self, conversation: Mapping[str, Any], pointer: str) -> Iterator[Outcome]:
        yield from self._status_or_problem(conversation.get("last_status"), within(pointer, "last_status"))

    def _status(self, status: Mapping[str, Any], pointer: str) -> Iterator[Outcome]:
        if status.get("reblog") is not None:
            yield Skipped(pointer, "boost")
            return
        try:
            message = self._message(status)
        except FieldError as error:
            yield problem(pointer, error)
            return
        yield checked(pointer, message, _FIELDS)

    def _message(self, status: Mapping[str, Any]) -> dict[str, Any]:
        uri = required_text(status, "uri")
        created_at = required_text(status, "created_at")
        account = as_object(status.get("account"), "account")
        author = _absolute(account, "account", fallback_host=host_of(uri))
        mentions = [
            _absolute(as_object(mention, f"mentions[{index}]"), f"mentions[{index}]")
            for index, mention in enumerate(optional_list(status, "mentions"))
        ]
        content = status.get("content")
        if not isinstance(content, str):
            raise FieldError("content", "missing" if content is None else "expected a string")
        visibility = optional_text(status, "visibility")
        if visibility is not None and visibility not in _VISIBILITIES:
            raise FieldError(
                "visibility", f"expected one of {', '.join(sorted(_VISIBILITIES))}, not {visibility!r}"
            )
        sensitive = status.get("sensitive")
        references = []
        parent = self._parent(status, author, mentions)
        if parent is not None:
            references.append({"type": "replied_to", "external_id": parent})
        quoted = _quoted_uri(status)
        if quoted is not None:
            references.append({"type": "quoted", "external_id": quoted})
        details: dict[str, Any] = {
            "content_warning": optional_text(status, "spoiler_text"),
            "visibility": visibility,
            "sensitive": sensitive if isinstance(sensitive, bool) else None,
            "references": references,
        }
        message: dict[str, Any] = {
            "source": SOURCE,
            "external_id": uri,
            "text": html_to_text(content),
            "created_at": created_at,
            "author": {
                "id": author.acct,
                "handle": "@" + author.acct,
                "display_name": optional_text(account, "display_name"),
                "created_at": optional_text(account, "created_at"),
                "followers": optional_count(account, "followers_count"),
            },
            "targets": unique_refs(["@" + mention.acct for mention in mentions]),
            "in_reply_to": parent,
            "url": optional_text(status, "url"),
            "lang": optional_text(status, "language"),
            "details": {key: value for key, value in details.items() if value not in (None, [])} or None,
        }
        return message

    def _parent(self, status: Mapping[str, Any], author: _Account, mentions: list[_Account]) -> str | None:
        parent_id = status.get("in_reply_to_id")
        if parent_id is None:
            return None
        parent_id = str(parent_id)
        if parent_id in self.uris:
            return self.uris[parent_id]
        parent_account = status.get("in_reply_to_account_id")
        for account in (author, *mentions):
            if account.local_id is not None and account.local_id == str(parent_account) and account.local:
                return f"https://{account.host}/users/{account.username}/statuses/{parent_id}"
        return None

    def _remember(self, value: object, depth: int) -> None:
        """Note the local id and `uri` of every status in `value`, so a reply to one resolves."""
        if depth > 4:
            return
        if isinstance(value, list):
            for item in value:
                self._remember(item, depth + 1)
            return
        if not isinstance(value, Mapping):
            return
        status_id, uri = value.get("id"), value.get("uri")
        if "content" in value and isinstance(status_id, str | int) and isinstance(uri, str):
            self.uris[str(status_id)] = uri
        for key in ("status", "last_status", "reblog"):
            self._remember(value.get(key), depth + 1)


def _moment(value: object, path: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(path, "expected a date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(path, f"not a date and time: {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Account:
    """An account with its `acct` made absolute: ``name@server``."""

    username: str
    host: str
    local: bool
    """On the server that served the record (its `acct` had no server)."""
    local_id: str | None

    @property
    def acct(self) -> str:
        return f"{self.username}@{self.host}"


def _absolute(account: Mapping[str, Any], path: str, fallback_host: str | None = None) -> _Account:
    acct = required_text(account, "acct", path)
    given_id = account.get("id")
    local_id = str(given_id) if isinstance(given_id, str | int) else None
    if "@" in acct.strip("@"):
        username, remote = acct.strip("@").split("@", 1)
        return _Account(username, remote.lower(), local=False, local_id=local_id)
    host = host_of(optional_text(account, "url", path)) or fallback_host
    if host is None:
        raise FieldError(
            field_path(path, "url"),
            f"needed to place the local account {acct!r} on its server, and missing or not an http(s) URL",
        )
    username = optional_text(account, "username", path) or acct
    return _Account(username, host, local=True, local_id=local_id)


def _quoted_uri(status: Mapping[str, Any]) -> str | None:
    """The `uri` of the status this one quotes (Mastodon 4.4's `quote`), when it is shown."""
    quote = optional_object(status, "quote")
    if quote is None:
        return None
    quoted = quote.get("quoted_status")
    if isinstance(quoted, Mapping) and isinstance(quoted.get("uri"), str):
        uri: str = quoted["uri"]
        return uri
    return None
