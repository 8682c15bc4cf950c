"""Jetstream events as recorded: posts become messages with their threads, authors, mentions and
languages; likes, follows, deletions and account events are skipped; a bad event is named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hustings.messages.changes import SourceChange
from hustings.messages.model import message_id
from hustings.sources.bluesky import JetstreamConverter
from hustings.sources.record import Item, Problem
from hustings.targets.model import Target, TargetRole
from tests.sources.samples import ANON_DID, PRIYA_DID, SAMPLES, TOM_DID, TROLL_DID, read, thread_parent_id

PRIYA_POST = f"at://{PRIYA_DID}/app.bsky.feed.post/3lq2w7xk4s2a2"


def test_posts_are_messages_and_everything_else_is_skipped_or_named() -> None:
    got = read("bluesky-jetstream", "jetstream.jsonl")
    assert sorted(got.messages) == ["line 10", "line 4", "line 5"]
    assert got.skipped == [
        ("line 1", "identity"),
        ("line 2", "identity"),
        ("line 3", "account"),
        ("line 6", "app.bsky.feed.like create"),
        ("line 7", "app.bsky.graph.follow create"),
    ]
    # A deleted post is a change at source, named by its at:// URI and Jetstream's time.
    assert got.changes == [
        (
            "line 8",
            SourceChange(
                "bluesky",
                f"at://{ANON_DID}/app.bsky.feed.post/3lq2vzzzzzz2a",
                None,
                datetime(2026, 5, 6, 17, 47, 3, tzinfo=UTC),
            ),
        )
    ]
    assert got.problems == [
        "line 9: commit.record.createdAt: missing",
        "line 11: not valid JSON: Expecting value at column 102",
    ]


def test_a_reply_threads_under_its_parent_and_names_its_author_and_targets() -> None:
    got = read("bluesky-jetstream", "jetstream.jsonl")
    parent, reply = got.messages["line 4"], got.messages["line 5"]
    assert parent["external_id"] == PRIYA_POST
    assert parent["url"] == f"https://bsky.app/profile/{PRIYA_DID}/post/3lq2w7xk4s2a2"
    assert reply["in_reply_to"] == PRIYA_POST
    assert thread_parent_id(reply) == message_id("bluesky", parent["external_id"])
    # The author's handle from the identity event on line 2; Tom's from the one on line 1 (his
    # register entry is a handle); Priya, the parent's author, by the DID she is registered under.
    assert reply["author"] == {"id": TROLL_DID, "handle": "@fenwatcher99.bsky.social"}
    assert reply["targets"] == ["@tomokafor.bsky.social", PRIYA_DID]
    assert reply["text"].startswith("Ça suffit 😡 @tomokafor.bsky.social you and Priya")
    assert reply["lang"] == "en"
    assert reply["details"] == {"references": [{"type": "replied_to", "external_id": PRIYA_POST}]}


def test_an_unknown_author_keeps_its_did_and_a_quote_is_a_reference() -> None:
    quote = read("bluesky-jetstream", "jetstream.jsonl").messages["line 10"]
    assert quote["author"] == {"id": ANON_DID, "handle": ANON_DID}
    # Priya by her registered DID; someone unregistered by the handle the facet's bytes cover.
    assert quote["targets"] == [PRIYA_DID, "@someone.bsky.social"]
    assert quote["in_reply_to"] is None
    assert quote["details"] == {"references": [{"type": "quoted", "external_id": PRIYA_POST}]}
    assert quote["lang"] == "en-GB"


def test_mention_offsets_are_utf8_bytes_not_characters() -> None:
    """Without the identity events, the mention's handle is what its byte range covers, after
    a cedilla and an emoji (2 and 4 bytes): read as characters, the range would cut elsewhere."""
    lines = (SAMPLES / "jetstream.jsonl").read_text(encoding="utf-8").splitlines()
    event = json.loads(lines[4])
    (outcome,) = JetstreamConverter([]).convert(event)
    assert isinstance(outcome, Item)
    assert outcome.message["targets"] == ["@tomokafor.bsky.social", PRIYA_DID]
    assert outcome.message["author"]["handle"] == TROLL_DID
    assert outcome.source_time == datetime(2026, 5, 6, 17, 47, tzinfo=UTC)


def test_the_register_pairs_a_targets_did_with_its_handle() -> None:
    tom = Target(
        "t_tom", "Tom", TargetRole.COUNCILLOR, None, None, (("bluesky", TOM_DID), ("bluesky", "tom.example"))
    )
    converter = JetstreamConverter([tom])
    post = {
        "did": TOM_DID,
        "time_us": 1778089700000000,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3lq2wz7z7z7z2",
            "record": {"text": "Thank you all", "createdAt": "2026-05-06T18:00:00Z"},
        },
    }
    (outcome,) = converter.convert(post)
    assert isinstance(outcome, Item) and outcome.message["author"]["handle"] == "@tom.example"


def test_an_event_of_the_wrong_shape_is_a_problem_not_a_crash() -> None:
    converter = JetstreamConverter([])
    (not_object,) = converter.convert(["a", "list"])
    assert isinstance(not_object, Problem) and not_object.error.startswith("event: expected a JSON object")
    bad_facet = {
        "did": ANON_DID,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3lq2wz7z7z7z3",
            "record": {
                "text": "hi",
                "createdAt": "2026-05-06T18:00:00Z",
                "facets": [
                    {
                        "index": {"byteStart": 0, "byteEnd": 99},
                        "features": [{"$type": "app.bsky.richtext.facet#mention"}],
                    }
                ],
            },
        },
    }
    (problem,) = converter.convert(bad_facet)
    assert isinstance(problem, Problem) and problem.error == "commit.record.facets[0].features.did: missing"
    bad_date = dict(
        bad_facet, commit=dict(bad_facet["commit"], record={"text": "hi", "createdAt": "yesterday"})
    )
    (named,) = converter.convert(bad_date)
    assert isinstance(named, Problem) and named.error.startswith("commit.record.createdAt: ")
