"""Bluesky: Jetstream events, one JSON object a line, as Jetstream's WebSocket sends them.

A `commit` event that creates an `app.bsky.feed.post` becomes a message: its `at://` URI is the
`external_id` (``at://DID/app.bsky.feed.post/RKEY``), the post's bsky.app address its `url`, a
reply's parent its `in_reply_to` (the parent's `at://` URI, as it is stored). Every other commit
(likes, follows, reposts, profile changes), `account` events and anything unknown is skipped
and counted. An `update` of a post is an edit (its record as it now reads), a `delete` a
deletion at source: both a `Change`.

Jetstream names the author and each mentioned account by DID only. A DID becomes a handle from,
in order: an `identity` event for it seen earlier in the same file; the target register, where a
target has one DID and one handle registered for Bluesky; and, for a mention, the text the
mention facet covers (its UTF-8 byte range), which the author's app wrote from the handle it
resolved. A target is named by the DID itself where the register holds the DID, so a DID is the
surest way to register a Bluesky target; otherwise by ``@handle``, or by the DID where no handle
is known. Nothing is looked up online.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from hustings.messages.changes import SourceChange
from hustings.messages.model import normalise_handle
from hustings.sources.record import (
    Change,
    FieldError,
    Outcome,
    Problem,
    Skipped,
    as_object,
    checked,
    optional_list,
    optional_object,
    optional_text,
    required_text,
    unique_refs,
)
from hustings.targets.model import Target

SOURCE = "bluesky"
NAME = "hustings.sources.bluesky"
VERSION = "1"
POST = "app.bsky.feed.post"
_MENTION = "app.bsky.richtext.facet#mention"
_FIELDS = {
    "external_id": "commit.rkey",
    "text": "commit.record.text",
    "created_at": "commit.record.createdAt",
    "author.id": "did",
    "author.handle": "did",
    "targets": "commit.record.facets",
    "in_reply_to": "commit.record.reply.parent.uri",
    "lang": "commit.record.langs",
}


class JetstreamConverter:
    """Reads Jetstream events; remembers the handles `identity` events give, so keep one
    converter per file, read in order."""

    name = NAME
    version = VERSION

    def __init__(self, targets: Iterable[Target] = ()) -> None:
        self.handles: dict[str, str] = {}
        """DID -> handle, from identity events seen so far."""
        self.registered: set[str] = set()
        self.paired: dict[str, str] = {}
        for target in targets:
            mine = [handle for platform, handle in target.handles if platform == SOURCE]
            self.registered.update(mine)
            dids = [handle for handle in mine if handle.startswith("did:")]
            names = [handle for handle in mine if not handle.startswith("did:")]
            if len(dids) == 1 and len(names) == 1:
                self.paired[dids[0]] = names[0]

    def convert(self, value: object) -> Iterator[Outcome]:
        try:
            event = as_object(value, "event")
            kind = event.get("kind")
            if kind == "identity":
                self._identity(event)
                yield Skipped("", "identity")
                return
            if kind != "commit":
                yield Skipped("", str(kind) if kind is not None else "unknown event")
                return
            commit = as_object(event.get("commit"), "commit")
            operation, collection = commit.get("operation"), commit.get("collection")
            if collection == POST and operation in {"update", "delete"}:
                yield self._change(event, commit, str(operation))
                return
            if collection != POST or operation != "create":
                yield Skipped("", f"{collection} {operation}")
                return
            message = self._message(event, commit)
        except FieldError as error:
            yield Problem("", str(error))
            return
        source_time = _microseconds(event.get("time_us"))
        yield checked("", message, _FIELDS, source_time=source_time)

    def _change(self, event: Mapping[str, Any], commit: Mapping[str, Any], operation: str) -> Change:
        """A post edited (`update`, with the record as it now is) or deleted."""
        did = required_text(event, "did")
        rkey = required_text(commit, "rkey", "commit")
        text = None
        if operation == "update":
            record = as_object(commit.get("record"), "commit.record")
            text = required_text(record, "text", "commit.record")
        at = _microseconds(event.get("time_us"))
        return Change("", SourceChange(SOURCE, f"at://{did}/{POST}/{rkey}", text, at))

    def _identity(self, event: Mapping[str, Any]) -> None:
        identity = optional_object(event, "identity") or {}
        did = identity.get("did") or event.get("did")
        handle = identity.get("handle")
        if isinstance(did, str) and isinstance(handle, str) and handle and handle != "handle.invalid":
            self.handles[did] = normalise_handle(handle)

    def handle_of(self, did: str) -> str | None:
        return self.handles.get(did) or self.paired.get(did)

    def _ref(self, did: str, written: str | None = None) -> str:
        """How to name the account `did` as a target (see the module docstring)."""
        if normalise_handle(did) in self.registered:
            return did
        handle = self.handle_of(did) or written
        return "@" + handle if handle else did

    def _message(self, event: Mapping[str, Any], commit: Mapping[str, Any]) -> dict[str, Any]:
        did = required_text(event, "did")
        rkey = required_text(commit, "rkey", "commit")
        record = as_object(commit.get("record"), "commit.record")
        text = record.get("text")
        if not isinstance(text, str):
            raise FieldError("commit.record.text", "missing" if text is None else "expected a string")
        targets = [
            self._ref(mention_did, written)
            for mention_did, written in _mentions(text, optional_list(record, "facets", "commit.record"))
        ]
        parent = None
        reply = optional_object(record, "reply", "commit.record")
        if reply is not None:
            parent_ref = as_object(reply.get("parent"), "commit.record.reply.parent")
            parent = required_text(parent_ref, "uri", "commit.record.reply.parent")
            parent_did = _authority(parent)
            if parent_did is not None and parent_did != did:
                targets.append(self._ref(parent_did))
        references = [{"type": "replied_to", "external_id": parent}] if parent else []
        quoted = _quoted(optional_object(record, "embed", "commit.record"))
        if quoted is not None:
            references.append({"type": "quoted", "external_id": quoted})
        langs = [lang for lang in optional_list(record, "langs", "commit.record") if isinstance(lang, str)]
        handle = self.handle_of(did)
        return {
            "source": SOURCE,
            "external_id": f"at://{did}/{POST}/{rkey}",
            "text": text,
            "created_at": required_text(record, "createdAt", "commit.record"),
            "author": {"id": did, "handle": "@" + handle if handle else did},
            "targets": unique_refs(targets),
            "in_reply_to": parent,
            "url": f"https://bsky.app/profile/{did}/post/{rkey}",
            "lang": langs[0] if langs else None,
            "details": {"references": references} if references else None,
        }


def _mentions(text: str, facets: list[Any]) -> Iterator[tuple[str, str | None]]:
    """(DID, handle as written) for each mention facet; the handle is None where the facet's
    byte range does not cut the text at character boundaries."""
    encoded = text.encode("utf-8")
    for index, facet in enumerate(facets):
        facet = as_object(facet, f"commit.record.facets[{index}]")
        for feature in optional_list(facet, "features", f"commit.record.facets[{index}]"):
            if not isinstance(feature, Mapping) or feature.get("$type") != _MENTION:
                continue
            did = optional_text(feature, "did")
            if did is None:
                raise FieldError(f"commit.record.facets[{index}].features.did", "missing")
            yield did, _written(encoded, facet.get("index"))


def _written(encoded: bytes, span: object) -> str | None:
    if not isinstance(span, Mapping):
        return None
    start, end = span.get("byteStart"), span.get("byteEnd")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(encoded)):
        return None
    try:
        written = encoded[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    handle = written.strip().removeprefix("@")
    return normalise_handle(handle) if handle and " " not in handle else None


def _authority(uri: str) -> str | None:
    """The DID an ``at://`` URI names, e.g. ``at://did:plc:x/app.bsky.feed.post/y`` -> ``did:plc:x``."""
    if not uri.startswith("at://"):
        return None
    authority = uri.removeprefix("at://").split("/", 1)[0]
    return authority if authority.startswith("did:") else None


def _quoted(embed: Mapping[str, Any] | None) -> str | None:
    """The ``at://`` URI of the post a quote post embeds, if any."""
    if embed is None:
        return None
    kind = embed.get("$type")
    record = embed.get("record")
    if kind == "app.bsky.embed.recordWithMedia" and isinstance(record, Mapping):
        record = record.get("record")
    if kind in {"app.bsky.embed.record", "app.bsky.embed.recordWithMedia"} and isinstance(record, Mapping):
        uri = record.get("uri")
        if isinstance(uri, str) and f"/{POST}/" in uri:
            return uri
    return None


def _microseconds(value: object) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
