"""E-mail to an office: the sender is the author, the office's addresses the targets, an HTML
body becomes plain text, and Message-ID and In-Reply-To make the thread."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from hustings.sources.mail import MailConverter
from hustings.sources.record import Item, Problem
from tests.sources.samples import read, thread_parent_id

THREAT_ID = "c0ffee42-7a1b-4c2d-9e3f-5a6b7c8d9e0f@mailbox.example"


def test_an_html_only_eml_becomes_the_plain_text_threat_with_its_targets() -> None:
    got = read("eml", "threat.eml")
    assert got.problems == [] and got.skipped == []
    mail = got.messages["message"]
    assert mail["text"] == (
        "Re: Friday surgery – Fenmarsh library\n\n"
        "I know where your constituency office is & I'll be waiting outside it on Friday night\n\n"
        "You won’t see me coming.\n— a constituent"
    )
    assert mail["external_id"] == THREAT_ID
    assert mail["in_reply_to"] == "surgery-notice-2026-05@priyaraman.example"
    assert mail["author"] == {
        "id": "fenwatcher99@mailbox.example",
        "handle": "fenwatcher99@mailbox.example",
        "display_name": "Fen Watcher",
    }
    assert mail["targets"] == [
        "office@priyaraman.example",
        "casework@priyaraman.example",
        "tom.okafor@fenmarsh-council.example",
    ]
    assert mail["created_at"] == "2026-05-06T21:15:00+00:00"
    assert mail["lang"] == "en-GB"
    # The office's own server took it at 22:15:07 BST, by the topmost Received: header.
    (converted,) = got.converted
    assert converted.origin.source_time == datetime(2026, 5, 6, 21, 15, 7, tzinfo=UTC)


def test_an_mbox_gives_each_message_names_the_bad_one_and_threads_the_reply() -> None:
    got = read("mbox", "office.mbox")
    assert sorted(got.messages) == ["message 1", "message 2"]
    assert got.problems == ["message 3: From: missing, or without an address"]
    reply = got.messages["message 1"]
    assert reply["in_reply_to"] == THREAT_ID
    assert thread_parent_id(reply) is not None
    # text/plain is preferred to the HTML alternative.
    assert reply["text"] == (
        "Re: Friday surgery\n\nStill no answer. I meant what I said about Friday.\n\n"
        "> I know where your constituency office is"
    )


def test_a_bcc_message_without_message_id_in_latin_1_is_read() -> None:
    mail = read("mbox", "office.mbox").messages["message 2"]
    assert (
        mail["text"]
        == "Café meeting\n\nI'll be at the café opposite your office every morning this week. Smile."
    )
    assert mail["author"]["display_name"] == "Renée"
    assert mail["targets"] == ["office@priyaraman.example"]  # from X-Original-To
    assert mail["external_id"].startswith("sha256:") and len(mail["external_id"]) == len("sha256:") + 64


def test_a_message_without_a_date_or_with_an_unknown_charset_is_handled() -> None:
    message = EmailMessage()
    message["From"] = "a@b.example"
    message["To"] = "office@priyaraman.example"
    message["Subject"] = "hello"
    message.set_content("body")
    (no_date,) = MailConverter().convert(message.as_bytes())
    assert isinstance(no_date, Problem) and no_date.error == "Date: missing"
    raw = (
        b"From: a@b.example\nDate: Thu, 7 May 2026 09:00:00 -0000\nSubject: x\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\n\nplain \xe9 words\n"
    )
    (odd,) = MailConverter().convert(raw)
    assert isinstance(odd, Item)
    assert odd.message["text"] == "x\n\nplain \ufffd words"
    assert odd.message["created_at"] == "2026-05-07T09:00:00+00:00"  # -0000: UTC, by RFC 5322
