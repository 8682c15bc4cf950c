"""Moderator notes: what a moderator wants colleagues to know about an item or a sender's account.

A note is an append-only event (``note.added``) on a ``note`` subject, one subject per thing noted
(`about` is ``message`` or ``author``, `about_id` its id or author key); notes are never edited
or removed, so the page shows who wrote what and when. A note's key is the nonce of the form it
was typed into, so a form sent twice (a retry, a double click) records it once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from hustings.auth.model import User
from hustings.clock import Clock, iso
from hustings.errors import DuplicateEvent, InvalidInput
from hustings.events import Event, EventLog, Status, user_actor
from hustings.events.model import initial_status

SUBJECT = "note"
NOTE_ADDED = "note.added"
MAX_NOTE = 2000
About = Literal["message", "author"]


@dataclass(frozen=True, slots=True)
class Note:
    about: str
    about_id: str
    author_id: str
    written_at: datetime
    text: str


def note_subject(about: About, about_id: str) -> str:
    # Author keys run to 260 characters and a subject id to 120: a digest names the subject.
    return f"{about}:{hashlib.sha256(about_id.encode()).hexdigest()[:40]}"


def reduce_note(status: Status | None, event: Event) -> Status:
    """A note subject's status: how many notes and when the last was written."""
    if event.kind != NOTE_ADDED:
        raise ValueError(f"note subjects do not take events of kind {event.kind!r}")
    current = status or initial_status(event, state="noted")
    data = dict(current.data)
    data.update(
        about=event.payload.get("about"),
        about_id=event.payload.get("about_id"),
        notes=int(data.get("notes", 0)) + 1,
        last_note_at=iso(event.occurred_at),
    )
    return current.evolve(data=data)


REDUCERS = {SUBJECT: reduce_note}


class Notes:
    """Adds and reads moderator notes, over the event log and the clock."""

    def __init__(self, log: EventLog, clock: Clock) -> None:
        self.log = log
        self.clock = clock

    def add(self, *, about: About, about_id: str, author: User, text: str, nonce: str) -> bool:
        """Record a note; False when this form's note (same `nonce`) is already recorded."""
        text = text.strip()
        if not text:
            raise InvalidInput("note: write the note before adding it")
        if len(text) > MAX_NOTE:
            raise InvalidInput(f"note: at most {MAX_NOTE} characters, not {len(text)}")
        if not nonce or len(nonce) > 64:
            raise InvalidInput("nonce: reload the page and write the note again")
        event = Event(
            kind=NOTE_ADDED,
            subject_type=SUBJECT,
            subject_id=note_subject(about, about_id),
            actor=user_actor(author.id),
            occurred_at=self.clock.now(),
            idempotency_key=f"{NOTE_ADDED}:{author.id}:{nonce}",
            payload={"about": about, "about_id": about_id, "text": text},
        )
        try:
            self.log.append(event)
        except DuplicateEvent:
            return False
        return True

    def of(self, about: About, about_id: str) -> list[Note]:
        """The notes on one thing, oldest first."""
        return [
            Note(
                about=about,
                about_id=about_id,
                author_id=event.actor.removeprefix("user:"),
                written_at=event.occurred_at,
                text=str(event.payload.get("text", "")),
            )
            for event in self.log.history(SUBJECT, note_subject(about, about_id))
            if event.kind == NOTE_ADDED
        ]
