"""E-mail: one message as an .eml file, or many in an mbox, for offices that receive abuse by mail.

`From` is the author (its address the id and handle), `To`, `Cc`, `Delivered-To` and
`X-Original-To` are the targets, matched to the register's `email` handles (the latter two name
the office's mailbox when the sender used Bcc). The text is the `Subject`, a blank line, and the
body: the text/plain part, or the text/html part made plain text where there is no plain one;
attachments are not read. `Message-ID` (without its angle brackets) is the `external_id`, or,
where a message has none, ``sha256:`` and the hash of its bytes, so that importing it twice still
stores it once; `In-Reply-To` is its parent. `Date` is when it was sent; a date without a time
zone (``-0000``) is taken as UTC. The date of the first (topmost) `Received:` header is kept as
the time the office's own mail server took it.
"""

from __future__ import annotations

import email.policy
import hashlib
import mailbox
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

from hustings.sources.html import html_to_text
from hustings.sources.record import Outcome, Problem, checked, unique_refs

SOURCE = "email"
NAME = "hustings.sources.mail"
VERSION = "1"
_RECIPIENTS = ("To", "Cc", "Delivered-To", "X-Original-To")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_FIELDS = {
    "external_id": "Message-ID",
    "text": "Subject and body",
    "created_at": "Date",
    "author": "From",
    "targets": "To/Cc",
    "in_reply_to": "In-Reply-To",
    "lang": "Content-Language",
}


class MailConverter:
    """Reads one e-mail message from its bytes; each message stands alone."""

    name = NAME
    version = VERSION

    def convert(self, value: object) -> Iterator[Outcome]:
        if not isinstance(value, bytes):
            yield Problem("", f"message: expected the bytes of an e-mail, got {type(value).__name__}")
            return
        parsed = email.message_from_bytes(value, policy=email.policy.default)
        if not isinstance(parsed, EmailMessage):  # the default policy always makes EmailMessage
            yield Problem("", "message: not readable as e-mail")
            return
        try:
            message, received = _message(parsed, value)
        except _MissingHeader as missing:
            yield Problem("", str(missing))
            return
        except (MessageError, ValueError, TypeError, IndexError, LookupError) as error:
            yield Problem("", f"message: not readable as e-mail ({type(error).__name__}: {error})")
            return
        yield checked("", message, _FIELDS, source_time=received)


class _MissingHeader(Exception):
    pass


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, address) of each mailbox a header names; `Delivered-To` and
    `X-Original-To` are not address headers to the parser, so every header is read the same way."""
    found = getaddresses([str(header) for header in message.get_all(name) or []])
    return [(display, address) for display, address in found if "@" in address]


def _message(parsed: EmailMessage, raw: bytes) -> tuple[dict[str, Any], datetime | None]:
    senders = _addresses(parsed, "From")
    if not senders:
        raise _MissingHeader("From: missing, or without an address")
    display_name, sender = senders[0]
    date_header = parsed["Date"]
    sent = getattr(date_header, "datetime", None) if date_header is not None else None
    if not isinstance(sent, datetime):
        raise _MissingHeader(
            "Date: missing" if date_header is None else f"Date: not a date: {str(date_header)[:60]!r}"
        )
    found = _MESSAGE_ID.search(str(parsed.get("Message-ID", "")))
    external_id = found.group(1) if found else "sha256:" + hashlib.sha256(raw).hexdigest()
    parent = _MESSAGE_ID.search(str(parsed.get("In-Reply-To", "")))
    subject = str(parsed.get("Subject", "") or "").strip()
    body = _body(parsed)
    text = "\n\n".join(part for part in (subject, body) if part)
    language = str(parsed.get("Content-Language", "") or "").split(",")[0].strip() or None
    message = {
        "source": SOURCE,
        "external_id": external_id,
        "text": text,
        "created_at": _utc(sent).isoformat(),
        "author": {
            "id": sender.lower(),
            "handle": sender,
            "display_name": display_name or None,
        },
        "targets": unique_refs([address for name in _RECIPIENTS for _, address in _addresses(parsed, name)]),
        "in_reply_to": parent.group(1) if parent else None,
        "lang": language,
    }
    return message, _received(parsed)


def _body(parsed: EmailMessage) -> str:
    part = parsed.get_body(preferencelist=("plain", "html"))
    if part is None or not isinstance(part, EmailMessage):
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # a charset Python does not know, or bytes not in it
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def _received(parsed: EmailMessage) -> datetime | None:
    headers = parsed.get_all("Received") or []
    if not headers:
        return None
    stamp = str(headers[0]).rsplit(";", 1)
    if len(stamp) != 2:
        return None
    try:
        return _utc(parsedate_to_datetime(stamp[1].strip()))
    except (TypeError, ValueError, IndexError):
        return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def mbox_messages(path: Path) -> Iterator[bytes]:
    """The bytes of each message in an mbox file, in order, without the ``From `` separator line."""
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            yield box.get_bytes(key)
    finally:
        box.close()
