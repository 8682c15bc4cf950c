"""X: API v2 responses, as `GET /2/tweets`, the search, timeline and mention endpoints and the
filtered stream deliver them: ``{"data": [...] or {...}, "includes": {"users": [...], "tweets":
[...]}}``, one response to a file or one a line.

Each tweet in `data` becomes a message, and so does each tweet in `includes.tweets` (the parents,
quoted and retweeted tweets the request expanded), so a reply's parent is held where the
response carries it. The author comes from `includes.users` (request `expansions=author_id` and
`user.fields=created_at,public_metrics` for the account's age and followers); without it the
author is named by id. `referenced_tweets` keep their type (`replied_to`, `quoted`,
`retweeted`) in the message's details, and `replied_to` is its `in_reply_to`. Mentions and the
replied-to account are the targets, as ``@username``. X escapes ``&``, ``<`` and ``>`` in text
as HTML entities; they are unescaped. A long post's full text (`note_tweet.text`) is preferred to
its truncated `text`. Entries of `errors` (tweets withheld or deleted) are skipped and counted.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from hustings.messages.changes import SourceChange
from hustings.sources.record import (
    Change,
    FieldError,
    Outcome,
    Problem,
    Skipped,
    as_object,
    checked,
    describe,
    optional_count,
    optional_list,
    optional_object,
    optional_text,
    problem,
    required_text,
    unique_refs,
    within,
)

SOURCE = "x"
NAME = "hustings.sources.x"
VERSION = "2"
_REFERENCE_TYPES = frozenset({"replied_to", "quoted", "retweeted"})
_FIELDS = {
    "external_id": "id",
    "text": "text",
    "created_at": "created_at",
    "author.id": "author_id",
    "author.handle": "author_id",
    "author.created_at": "author_id (includes.users created_at)",
    "targets": "entities.mentions",
    "in_reply_to": "referenced_tweets",
    "lang": "lang",
    "details.references": "referenced_tweets",
}


class XConverter:
    """Reads X API v2 responses; each response stands alone."""

    name = NAME
    version = VERSION

    def convert(self, value: object) -> Iterator[Outcome]:
        if isinstance(value, list):  # a file of responses as one JSON array
            for index, response in enumerate(value):
                yield from self._response(response, within("", index))
            return
        yield from self._response(value, "")

    def _response(self, value: object, pointer: str) -> Iterator[Outcome]:
        if not isinstance(value, Mapping):
            yield Problem(
                pointer, f"{describe(pointer) or 'record'}: expected an X API v2 response (a JSON object)"
            )
            return
        if "data" not in value and "id" in value and "text" in value:
            value = {"data": value}  # a bare tweet object
        includes = value.get("includes")
        includes = includes if isinstance(includes, Mapping) else {}
        users = _by_id(includes.get("users"))
        tweets: list[tuple[str, object]] = []
        data = value.get("data")
        if isinstance(data, list):
            tweets.extend((within(pointer, "data", index), tweet) for index, tweet in enumerate(data))
        elif data is not None:
            tweets.append((within(pointer, "data"), data))
        in_data = {tweet.get("id") for _, tweet in tweets if isinstance(tweet, Mapping)}
        included = includes.get("tweets")
        for index, tweet in enumerate(included if isinstance(included, list) else []):
            place = within(pointer, "includes", "tweets", index)
            if isinstance(tweet, Mapping) and tweet.get("id") in in_data:
                yield Skipped(place, "tweet also in data")
            else:
                tweets.append((place, tweet))
        errors = value.get("errors")
        for index, _ in enumerate(errors if isinstance(errors, list) else []):
            yield Skipped(within(pointer, "errors", index), "api error")
        if not tweets and not errors:
            yield Skipped(pointer, "response without tweets")
        for versions in _edit_chains(tweets):
            yield from self._chain(versions, users)

    def _chain(self, versions: list[tuple[str, object]], users: Mapping[str, Mapping[str, Any]]) -> Iterator[Outcome]:
        """One post and its edits: the earliest version held in the response is the message, under
        the post's first id; each later version is an edit of it. Where the first version itself
        is not in the response, the earliest one here is an edit too, so that a post already held
        from an earlier response takes it (and one not held is stored with it, the edit then
        reading as the text it already has)."""
        (pointer, first), later = versions[0], versions[1:]
        if not isinstance(first, Mapping):
            yield Problem(pointer, f"{describe(pointer)}: expected a tweet (a JSON object)")
            return
        root = _root(first)
        try:
            message = _message(first, users, root)
        except FieldError as error:
            yield problem(pointer, error)
            return
        outcome = checked(pointer, message, _FIELDS)
        yield outcome
        if isinstance(outcome, Problem):
            return
        if first.get("id") != root:
            later = versions
        for place, version in later:
            if not isinstance(version, Mapping):
                yield Problem(place, f"{describe(place)}: expected a tweet (a JSON object)")
                continue
            try:
                text = _text(version)
            except FieldError as error:
                yield problem(place, error)
                continue
            yield Change(place, SourceChange(SOURCE, root, text, _moment(version.get("created_at"))))


def _history(tweet: object) -> list[str]:
    """The ids of a post's versions, oldest first (`edit_history_tweet_ids`), or none given."""
    ids = tweet.get("edit_history_tweet_ids") if isinstance(tweet, Mapping) else None
    return [id_ for id_ in ids if isinstance(id_, str)] if isinstance(ids, list) else []


def _root(tweet: Mapping[str, Any]) -> str:
    """The id of the post's first version: the id every version of it is stored under."""
    history = _history(tweet)
    own = tweet.get("id")
    return history[0] if history else own if isinstance(own, str) else ""


def _edit_chains(tweets: list[tuple[str, object]]) -> list[list[tuple[str, object]]]:
    """The tweets grouped by post (the first id of their edit history), each group oldest version
    first, the groups in the order their first tweet came."""
    chains: dict[str, list[tuple[str, object]]] = {}
    for index, (place, tweet) in enumerate(tweets):
        key = _root(tweet) if isinstance(tweet, Mapping) else ""
        chains.setdefault(key or f"\x00{index}", []).append((place, tweet))
    ordered = []
    for versions in chains.values():
        longest = max((_history(tweet) for _, tweet in versions), key=len)
        rank = {id_: index for index, id_ in enumerate(longest)}
        ordered.append(
            sorted(
                versions,
                key=lambda version: rank.get(
                    str(version[1].get("id")) if isinstance(version[1], Mapping) else "", len(rank)
                ),
            )
        )
    return ordered


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _text(tweet: Mapping[str, Any]) -> str:
    """A long post's full text (`note_tweet.text`), else `text`, with X's entities unescaped."""
    note = optional_object(tweet, "note_tweet")
    text = (optional_text(note, "text", "note_tweet") if note else None) or tweet.get("text")
    if not isinstance(text, str):
        raise FieldError("text", "missing" if text is None else "expected a string")
    return html.unescape(text)


def _message(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], root: str) -> dict[str, Any]:
    required_text(tweet, "id")
    tweet_id = root
    author_id = required_text(tweet, "author_id")
    created_at = tweet.get("created_at")
    if created_at is None:
        raise FieldError("created_at", "missing (request tweet.fields=created_at)")
    text = _text(tweet)
    author = users.get(author_id, {})
    username = optional_text(author, "username")
    metrics = optional_object(author, "public_metrics") or {}
    references = []
    for index, reference in enumerate(optional_list(tweet, "referenced_tweets")):
        reference = as_object(reference, f"referenced_tweets[{index}]")
        kind = required_text(reference, "type", f"referenced_tweets[{index}]")
        if kind not in _REFERENCE_TYPES:
            raise FieldError(
                f"referenced_tweets[{index}].type", f"expected replied_to, quoted or retweeted, not {kind!r}"
            )
        references.append(
            {"type": kind, "external_id": required_text(reference, "id", f"referenced_tweets[{index}]")}
        )
    parent = next((ref["external_id"] for ref in references if ref["type"] == "replied_to"), None)
    entities = optional_object(tweet, "entities") or {}
    targets = [
        "@"
        + required_text(
            as_object(mention, f"entities.mentions[{index}]"), "username", f"entities.mentions[{index}]"
        )
        for index, mention in enumerate(optional_list(entities, "mentions", "entities"))
    ]
    replied_to_user = optional_text(tweet, "in_reply_to_user_id")
    if replied_to_user is not None and replied_to_user != author_id:
        replied_name = optional_text(users.get(replied_to_user, {}), "username")
        targets.insert(0, "@" + replied_name if replied_name else replied_to_user)
    sensitive = tweet.get("possibly_sensitive")
    details: dict[str, Any] = {}
    if references:
        details["references"] = references
    if isinstance(sensitive, bool):
        details["sensitive"] = sensitive
    return {
        "source": SOURCE,
        "external_id": tweet_id,
        "text": text,
        "created_at": created_at,
        "author": {
            "id": author_id,
            "handle": "@" + username if username else author_id,
            "display_name": optional_text(author, "name"),
            "created_at": optional_text(author, "created_at"),
            "followers": optional_count(metrics, "followers_count"),
        },
        "targets": unique_refs(targets),
        "in_reply_to": parent,
        "url": f"https://x.com/{username}/status/{tweet_id}"
        if username
        else f"https://x.com/i/web/status/{tweet_id}",
        "lang": optional_text(tweet, "lang"),
        "details": details or None,
    }


def _by_id(users: object) -> dict[str, Mapping[str, Any]]:
    if not isinstance(users, list):
        return {}
    return {
        user["id"]: user for user in users if isinstance(user, Mapping) and isinstance(user.get("id"), str)
    }
