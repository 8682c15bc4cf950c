"""Mastodon records as the API delivers them: HTML content becomes plain text, the portable
`uri` is the id, replies find their parent's `uri`, `acct` is made absolute, and content
warnings, visibility and `sensitive` are kept."""

from __future__ import annotations

from hustings.messages.changes import SourceChange
from hustings.messages.model import message_id
from hustings.sources.mastodon import MastodonConverter
from hustings.sources.record import Item, Problem, Skipped
from tests.sources.samples import read, thread_parent_id

THREAT_URI = "https://troll.example/users/angrydave/statuses/113456799998877665"


def test_the_threat_in_a_mention_notification_is_plain_text_with_its_thread_and_target() -> None:
    got = read("mastodon", "mastodon_notifications.json")
    threat = got.messages["file, [0].status"]
    assert threat["text"] == (
        "@priya I know where your constituency office is & I'll be waiting outside it on Friday night"
    )
    assert threat["external_id"] == THREAT_URI
    assert threat["author"] == {
        "id": "angrydave@troll.example",
        "handle": "@angrydave@troll.example",
        "display_name": "Dave",
        "created_at": "2026-05-01T00:00:00.000Z",
        "followers": 2,
    }
    # `priya` is local to fenmarsh.social, the server that served the notifications.
    assert threat["targets"] == ["@priya@fenmarsh.social"]
    # The parent is Priya's own status: local, so its uri follows from her account and its id.
    parent_uri = "https://fenmarsh.social/users/priya/statuses/113456789012345678"
    assert threat["in_reply_to"] == parent_uri
    assert thread_parent_id(threat) == message_id("mastodon", parent_uri)
    assert threat["lang"] == "en"


def test_a_direct_message_keeps_its_content_warning_visibility_and_sensitive_flag() -> None:
    dm = read("mastodon", "mastodon_notifications.json").messages["file, [3].status"]
    assert dm["details"] == {"content_warning": "council tax rant", "visibility": "direct", "sensitive": True}
    assert dm["text"] == (
        "@priya you've ignored three letters now.\n\n"
        "Sign this: https://fenmarsh.example/petition/council-tax-2026\nor don't <shrug>"
    )
    assert dm["author"]["id"] == "neighbour@fenmarsh.social"


def test_other_notifications_are_skipped_and_a_status_without_uri_is_named() -> None:
    got = read("mastodon", "mastodon_notifications.json")
    assert sorted(got.messages) == ["file, [0].status", "file, [3].status"]
    assert got.skipped == [("file", "notification favourite"), ("file", "notification follow")]
    assert got.problems == ["file: [4].status.uri: missing"]


def test_streaming_events_resolve_a_reply_from_a_status_seen_earlier_in_the_file() -> None:
    got = read("mastodon", "mastodon_streaming.jsonl")
    assert sorted(got.messages) == [
        "line 1, payload",
        "line 2, payload.status",
        "line 7, payload.last_status",
    ]
    home, reply = got.messages["line 1, payload"], got.messages["line 2, payload.status"]
    # The parent is remote (other.example): its uri is known only because line 1 carried it.
    assert reply["in_reply_to"] == home["external_id"] == "https://other.example/users/friend/statuses/990011"
    assert reply["targets"] == ["@friend@other.example", "@priya@fenmarsh.social"]
    conversation = got.messages["line 7, payload.last_status"]
    assert conversation["details"]["visibility"] == "direct"
    assert conversation["text"] == "@priya answer me or I'll come and find you"
    assert got.skipped == [
        ("line 3", "boost"),
        ("line 4", "notification favourite"),
        ("line 9", "streaming filters_changed"),
    ]
    # status.update gives the status as it now reads; delete names a status by its local id,
    # known from line 3 (a boost, skipped, whose id and uri the converter still noted).
    assert got.changes == [
        (
            "line 5",
            SourceChange(
                "mastodon",
                "https://other.example/users/friend/statuses/990011",
                "Good turnout at the Fenmarsh hustings tonight.",
            ),
        ),
        (
            "line 6",
            SourceChange(
                "mastodon", "https://troll.example/users/angrydave/statuses/113456866666666666", None
            ),
        ),
    ]
    assert got.problems == ["line 8: payload: not valid JSON"]


def test_a_single_status_whose_remote_parent_is_not_in_the_file_is_not_threaded() -> None:
    """The parent's local id says nothing of its uri when neither the file nor Mastodon's rule
    for local statuses gives it: better no thread than a wrong one."""
    got = read("mastodon", "mastodon_status.json")
    (status,) = got.messages.values()
    assert status["in_reply_to"] is None
    assert status["targets"] == ["@priya@fenmarsh.social", "@tomokafor@fenmarsh.social"]
    assert (
        status["text"] == '@priya @tomokafor "public servants" — you\'ll both be\nlooking over your shoulders'
    )


def test_a_reply_to_a_status_later_in_the_same_array_is_threaded() -> None:
    account = {
        "id": "7",
        "username": "ann",
        "acct": "ann@elsewhere.example",
        "url": "https://elsewhere.example/@ann",
    }
    parent = {
        "id": "100",
        "uri": "https://elsewhere.example/users/ann/statuses/1",
        "created_at": "2026-05-06T10:00:00Z",
        "content": "<p>first</p>",
        "account": account,
    }
    child = dict(
        parent,
        id="101",
        uri="https://elsewhere.example/users/ann/statuses/2",
        in_reply_to_id="100",
        in_reply_to_account_id="7",
        content="<p>second</p>",
    )
    outcomes = list(MastodonConverter().convert([child, parent]))  # newest first, as timelines come
    assert isinstance(outcomes[0], Item)
    assert outcomes[0].message["in_reply_to"] == "https://elsewhere.example/users/ann/statuses/1"
    assert outcomes[0].pointer == "/0"


def test_records_of_the_wrong_shape_are_named() -> None:
    converter = MastodonConverter()
    (unknown,) = converter.convert({"hello": "world"})
    assert isinstance(unknown, Problem) and "not a Mastodon status" in unknown.error
    status = {
        "uri": "https://a.example/s/1",
        "created_at": "2026-05-06T10:00:00Z",
        "content": "<p>x</p>",
        "account": {"acct": "bob"},
        "visibility": "everyone",
    }
    (no_server,) = converter.convert(dict(status, visibility="public"))
    # A local account's server comes from its profile URL, or else from the status's own uri.
    assert isinstance(no_server, Item) and no_server.message["author"]["id"] == "bob@a.example"
    (bad_visibility,) = converter.convert(status)
    assert isinstance(bad_visibility, Problem) and bad_visibility.error.startswith(
        "visibility: expected one of"
    )
    (bad_date,) = converter.convert([dict(status, visibility="public", created_at="soon")])
    assert isinstance(bad_date, Problem) and bad_date.error.startswith("[0].created_at: ")
    (boost,) = converter.convert(dict(status, reblog={"uri": "x"}))
    assert isinstance(boost, Skipped)
