"""X API v2 responses: authors and parents from `includes`, reference types kept, entities
unescaped, long posts whole, a tweet without its date named while the rest are stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hustings.messages.changes import SourceChange
from hustings.messages.events import MESSAGE_EDITED, SUBJECT
from hustings.messages.model import message_id
from hustings.sources.record import Change, Item, Problem
from hustings.sources.x import XConverter
from tests.sources.samples import read, thread_parent_id
from tests.sources.test_cli import _run, _services

EDITED_AT = datetime(2026, 5, 6, 18, 20, tzinfo=UTC)


def test_a_reply_has_its_author_from_includes_its_parent_held_and_its_target() -> None:
    got = read("x-v2", "x_mentions.json")
    reply = got.messages["file, data[0]"]
    assert reply["text"] == (
        "@PriyaRaman4Fenmarsh food bank & photo op. We know where you'll be & you won't see it coming <3"
    )
    assert reply["author"] == {
        "id": "1780000000000000001",
        "handle": "@FenWatcher99",
        "display_name": "Fen Watcher",
        "created_at": "2026-05-02T08:00:00.000Z",
        "followers": 3,
    }
    assert reply["targets"] == ["@PriyaRaman4Fenmarsh"]
    assert reply["url"] == "https://x.com/FenWatcher99/status/1787500000000000301"
    assert reply["lang"] == "en"
    parent = got.messages["file, includes.tweets[0]"]
    assert thread_parent_id(reply) == message_id("x", parent["external_id"])
    assert parent["author"]["handle"] == "@PriyaRaman4Fenmarsh"


def test_quote_and_retweet_keep_their_reference_types() -> None:
    got = read("x-v2", "x_mentions.json")
    assert got.messages["file, data[1]"]["details"] == {
        "references": [{"type": "quoted", "external_id": "1787500000000000200"}],
        "sensitive": True,
    }
    retweet = got.messages["file, data[2]"]
    assert retweet["details"]["references"] == [{"type": "retweeted", "external_id": "1787500000000000200"}]
    assert retweet["in_reply_to"] is None
    assert got.messages["file, data[0]"]["details"]["references"] == [
        {"type": "replied_to", "external_id": "1787500000000000100"}
    ]


def test_a_long_post_is_whole_and_a_tweet_without_its_date_is_named() -> None:
    got = read("x-v2", "x_mentions.json")
    assert got.messages["file, data[4]"]["text"].endswith("resign, Priya, before someone makes you.")
    assert got.problems == ["file: data[3].created_at: missing (request tweet.fields=created_at)"]
    assert got.skipped == [("file", "api error")]
    assert len(got.messages) == 6  # four of data, both of includes.tweets


def test_an_author_missing_from_includes_is_named_by_id_and_bad_types_are_named() -> None:
    tweet = {"id": "9", "text": "hi", "author_id": "42", "created_at": "2026-05-06T10:00:00Z"}
    (alone,) = XConverter().convert({"data": tweet})
    assert isinstance(alone, Item) and alone.pointer == "/data"
    assert alone.message["author"] == {
        "id": "42",
        "handle": "42",
        "display_name": None,
        "created_at": None,
        "followers": None,
    }
    bad = dict(tweet, id="10", referenced_tweets=[{"type": "liked", "id": "1"}])
    good, problem = XConverter().convert({"data": [tweet, bad]})
    assert isinstance(problem, Problem) and not isinstance(good, Problem)
    assert (
        problem.error
        == "data[1].referenced_tweets[0].type: expected replied_to, quoted or retweeted, not 'liked'"
    )


def _tweet(id_: str, history: list[str], text: str, created_at: str) -> dict[str, object]:
    return {
        "id": id_,
        "edit_history_tweet_ids": history,
        "text": text,
        "created_at": created_at,
        "author_id": "1780000000000000001",
        "lang": "en",
    }


def test_an_edited_post_is_one_message_under_its_first_id_and_its_later_versions_edits() -> None:
    original = _tweet("101", ["101", "102"], "See you at the surgery", "2026-05-06T18:00:00.000Z")
    edited = _tweet("102", ["101", "102"], "See you at the surgery &amp; after it", "2026-05-06T18:20:00.000Z")
    # The latest version in data, the earlier one in includes (expansions=edit_history_tweet_ids).
    outcomes = list(XConverter().convert({"data": [edited], "includes": {"tweets": [original]}}))
    (item,) = [outcome for outcome in outcomes if isinstance(outcome, Item)]
    assert item.message["external_id"] == "101" and item.message["text"] == "See you at the surgery"
    (change,) = [outcome for outcome in outcomes if isinstance(outcome, Change)]
    assert change.pointer == "/data/0"
    assert change.change == SourceChange("x", "101", "See you at the surgery & after it", EDITED_AT)

    # Only the latest version given: it is the post, under its first id, and an edit of it, so
    # a post held from an earlier response takes the edit and one not held is stored.
    alone = list(XConverter().convert({"data": edited}))
    assert [type(outcome) for outcome in alone] == [Item, Change]
    assert alone[0].message["external_id"] == "101"  # type: ignore[union-attr]  # an Item
    assert alone[1].change.external_id == "101"  # type: ignore[union-attr]  # a Change


def test_an_edit_read_in_a_later_response_is_recorded_on_the_post_held(
    env: dict[str, str], tmp_path: Path
) -> None:
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"data": [_tweet("201", ["201"], "Nice speech", "2026-05-06T18:00:00Z")]}))
    later = tmp_path / "later.json"
    later.write_text(
        json.dumps({"data": [_tweet("202", ["201", "202"], "Nice speech. Watch your back", "2026-05-06T18:20:00Z")]})
    )
    assert "accepted 1" in _run(["ingest", "--format", "x-v2", str(first)], env).stdout
    result = _run(["ingest", "--format", "x-v2", str(later)], env)
    assert "accepted 0, duplicates 1" in result.stdout, result.output
    assert "edited 1, deleted at source 0" in result.stdout, result.output
    for services in _services(env, tmp_path):
        held = message_id("x", "201")
        message = services.messages.get(held)
        assert message is not None and message.text == "Nice speech"
        (edit,) = [e for e in services.events.events_for(SUBJECT, held) if e.kind == MESSAGE_EDITED]
        assert edit.payload["text"] == "Nice speech. Watch your back"
        assert edit.payload["edited_at"] == EDITED_AT.isoformat()
