"""X API v2 responses: authors and parents from `includes`, reference types kept, entities
unescaped, long posts whole, a tweet without its date named while the rest are stored."""

from __future__ import annotations

from hustings.messages.model import message_id
from hustings.sources.record import Item, Problem
from hustings.sources.x import XConverter
from tests.sources.samples import read, thread_parent_id


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
