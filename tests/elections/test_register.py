"""Reading Democracy Club's candidates CSV: handles in the targets' form, and every fault named by
line and column with the good rows kept."""

from __future__ import annotations

import pytest

from hustings.elections.register import (
    bluesky_handle,
    decode_register,
    mastodon_handle,
    parse_register,
    twitter_handle,
)
from hustings.errors import InvalidInput
from tests.elections.conftest import FIRST, KELBRIDGE, RIVERSIDE, row, with_row


@pytest.mark.parametrize(
    ("given", "handle"),
    [
        ("DanMarshLab", "danmarshlab"),
        ("@DanMarshLab", "danmarshlab"),
        ("https://twitter.com/DanMarshLab", "danmarshlab"),
        ("x.com/DanMarshLab/", "danmarshlab"),
    ],
)
def test_an_x_handle_is_bare_and_lower_case(given: str, handle: str) -> None:
    assert twitter_handle(given) == handle


@pytest.mark.parametrize(
    ("given", "handle"),
    [
        ("https://mastodon.scot/@name", "name@mastodon.scot"),
        ("https://Mastodon.Social/@Priya.Nair/", "priya.nair@mastodon.social"),
        ("@name@mastodon.scot", "name@mastodon.scot"),
    ],
)
def test_a_mastodon_address_is_the_handle_user_at_server(given: str, handle: str) -> None:
    assert mastodon_handle(given) == handle


@pytest.mark.parametrize(
    ("given", "handle"),
    [
        ("https://bsky.app/profile/aishaokafor.bsky.social", "aishaokafor.bsky.social"),
        ("https://bsky.app/profile/Aisha.Example.ORG/", "aisha.example.org"),
        ("https://bsky.app/profile/did:plc:k4mzq2v7hn3wxr5tyb6ucd2e", "did:plc:k4mzq2v7hn3wxr5tyb6ucd2e"),
        ("priyanair.bsky.social", "priyanair.bsky.social"),
    ],
)
def test_a_bluesky_address_ends_in_a_handle_or_a_did(given: str, handle: str) -> None:
    assert bluesky_handle(given) == handle


@pytest.mark.parametrize(
    ("reader", "given"),
    [
        (twitter_handle, "a_handle_much_too_long"),
        (twitter_handle, "https://facebook.com/someone"),
        (mastodon_handle, "https://mastodon.scot/name"),
        (mastodon_handle, "name"),
        (bluesky_handle, "https://bsky.app/profile/"),
        (bluesky_handle, "https://bsky.app/profile/did:plc:short"),
    ],
)
def test_what_is_not_a_handle_is_refused(reader: object, given: str) -> None:
    assert callable(reader)
    with pytest.raises(ValueError, match=r"is not"):
        reader(given)


def test_the_sample_register_reads_whole() -> None:
    parsed = parse_register(FIRST)
    assert parsed.problems == []
    assert len(parsed.rows) == 11
    daniel = next(r for r in parsed.rows if r.person_id == "70413")
    assert daniel.line == 3
    assert (daniel.election_id, daniel.ballot_paper_id, daniel.post_label) == (
        KELBRIDGE,
        RIVERSIDE,
        "Riverside",
    )
    assert daniel.handle_pairs == [["mastodon", "danmarsh@mastodon.scot"], ["x", "danmarshlab"]]
    siobhan = next(r for r in parsed.rows if r.person_id == "70415")
    assert siobhan.name == "O'Brien, Siobhan"  # a quoted comma is one cell
    gwen = next(r for r in parsed.rows if r.person_id == "70430")
    assert gwen.cancelled_poll and gwen.seats_contested == 1


def test_each_fault_is_named_by_line_and_column_and_the_good_rows_are_kept() -> None:
    text = FIRST
    text = with_row(
        text,
        row(
            FIRST,
            person_id="80001",
            person_name="Bad Handle",
            election_id=KELBRIDGE,
            ballot_paper_id=RIVERSIDE,
            party_name="Green Party",
            post_label="Riverside",
            twitter_username="not a handle",
        ),
    )  # line 13
    text = with_row(
        text,
        row(
            FIRST,
            person_id="Jo",
            person_name="Bad Person",
            election_id=KELBRIDGE,
            ballot_paper_id="local.elsewhere.north.2028-05-04",
            post_label="North",
            election_date="2028-05-05",
        ),
    )  # line 14
    text = with_row(text, "70499,Short Row")  # line 15
    text = with_row(
        text,
        row(
            FIRST,
            person_id="80002",
            person_name="Nul\x00Name",
            election_id=KELBRIDGE,
            ballot_paper_id=RIVERSIDE,
            post_label="Riverside",
        ),
    )  # line 16
    parsed = parse_register(text)
    assert len(parsed.rows) == 11
    named = [(p.line, p.column) for p in parsed.problems]
    assert named == [
        (13, "twitter_username"),
        (14, "person_id"),
        (14, "ballot_paper_id"),
        (14, "election_date"),
        (15, "election_id"),
        (16, "person_name"),
    ]
    assert (
        str(parsed.problems[0])
        == "line 13, twitter_username: 'not a handle' is not an X handle (1 to 15 letters, digits or _)"
    )
    assert parsed.problems[0].person_id == "80001" and parsed.problems[0].ballot_paper_id == RIVERSIDE
    assert parsed.problems[1].person_id is None  # unreadable: that row might be anyone's
    assert "not a ballot of local.kelbridge.2028-05-04" in parsed.problems[2].error
    assert "has 2 fields where the header has 21" in parsed.problems[4].error
    assert "NUL" in parsed.problems[5].error


def test_a_row_over_several_lines_is_named_by_its_first() -> None:
    text = with_row(
        FIRST,
        row(
            FIRST,
            person_id="80003",
            person_name='"Ann\nLine"',
            election_id=KELBRIDGE,
            ballot_paper_id=RIVERSIDE,
            post_label="Riverside",
            seats_contested="many",
        ),
    )
    text = with_row(
        text,
        row(
            FIRST,
            person_id="80004",
            person_name="After",
            election_id=KELBRIDGE,
            ballot_paper_id=RIVERSIDE,
            post_label="Riverside",
            cancelled_poll="maybe",
        ),
    )
    parsed = parse_register(text)
    assert [(p.line, p.column) for p in parsed.problems] == [(13, "seats_contested"), (15, "cancelled_poll")]


def test_the_same_person_twice_on_a_ballot_is_a_fault_at_the_second() -> None:
    second = FIRST.splitlines()[2]
    parsed = parse_register(with_row(FIRST, second))
    assert [(p.line, p.column) for p in parsed.problems] == [(13, "person_id")]
    assert "already on local.kelbridge.riverside.2028-05-04 at line 3" in parsed.problems[0].error


def test_a_file_that_is_not_the_register_is_refused_whole() -> None:
    with pytest.raises(InvalidInput, match=r"header: missing person_id, person_name"):
        parse_register("platform,handle\nx,@someone\n")
    with pytest.raises(InvalidInput, match=r"file: empty"):
        parse_register("\n\n")
    with pytest.raises(InvalidInput, match=r"file: not UTF-8 text: byte 0xff on line 2"):
        decode_register(b"person_id\n\xff\n")
    assert decode_register("\ufeffperson_id".encode()) == "person_id"
