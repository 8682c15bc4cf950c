"""Working an item: claim it (one moderator at a time), release or skip it, escalate it.

Each step is an event on the message subject. A claim's idempotency key includes the number of
events the item had when it was read, so two moderators who claim the same item at once write
the same key and the second is refused by the log's unique key: no two moderators on one item.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Literal

from hustings.auth.model import Role, User
from hustings.clock import Clock
from hustings.errors import Conflict, DuplicateEvent, InvalidInput, NotFound
from hustings.events import Event, EventLog, Status, user_actor
from hustings.messages.events import SUBJECT
from hustings.moderation.events import (
    ITEM_CLAIMED,
    ITEM_ESCALATED,
    ITEM_ESCALATION_WITHDRAWN,
    ITEM_RELEASED,
    ITEM_SKIP_UNDONE,
    ITEM_SKIPPED,
)
from hustings.moderation.status import CLAIMABLE_STATES, ItemState

MAX_REASON = 2000
OWN_INITIATIVE_STATES = frozenset({ItemState.INGESTED, ItemState.ASSESSED})
"""A message nobody reported can be claimed too, to act on it (and its near-duplicates) on a
moderator's own initiative; releasing it returns it to where it was, out of every queue."""


def load_item(log: EventLog, message_id: str) -> Status:
    """The status of a message subject; `NotFound` if there is none."""
    found = log.store.load_statuses([(SUBJECT, message_id)]).get((SUBJECT, message_id))
    if found is None:
        raise NotFound(f"message_id: no item {message_id!r}")
    return found


@contextmanager
def refused_on_race() -> Iterator[None]:
    """Two people acting on one item at once write the same idempotency key: the second is a Conflict."""
    try:
        yield
    except DuplicateEvent:
        raise Conflict(
            "message_id: someone else acted on this item at the same moment; reload and try again"
        ) from None


def _event(kind: str, item: Status, moderator: User, clock: Clock, why: str, **payload: object) -> Event:
    return Event(
        kind=kind,
        subject_type=SUBJECT,
        subject_id=item.subject_id,
        actor=user_actor(moderator.id),
        occurred_at=clock.now(),
        # The event count pins the state this action was decided on: a concurrent action on the
        # same state writes the same key, and the log refuses the second.
        idempotency_key=f"{kind}:{item.subject_id}:{item.event_count}",
        reason=why,
        payload={"moderator_id": moderator.id, **payload},
    )


def claim(log: EventLog, clock: Clock, *, moderator: User, message_id: str) -> Status:
    """Take an item so no one else works on it. Claiming your own claim again changes nothing."""
    item = load_item(log, message_id)
    if item.state == ItemState.CLAIMED:
        if item.assignee == moderator.id:
            return item
        raise Conflict(f"message_id: item {message_id} is claimed by another moderator")
    if item.state not in CLAIMABLE_STATES | OWN_INITIATIVE_STATES:
        raise Conflict(f"message_id: item {message_id} is {item.state}, not waiting in a queue")
    if item.state == ItemState.ESCALATED and item.data.get("escalated_by") == moderator.id:
        raise Conflict(f"message_id: you escalated item {message_id}; a different moderator takes it")
    if item.state == ItemState.APPEALED and item.data.get("decided_by") == moderator.id:
        raise Conflict(
            f"message_id: you made the decision under appeal on {message_id}; a different moderator decides the appeal"
        )
    return log.append(_event(ITEM_CLAIMED, item, moderator, clock, "claimed"))


def _held_by(item: Status, moderator: User) -> None:
    if item.state != ItemState.CLAIMED or item.assignee != moderator.id:
        raise Conflict(f"message_id: item {item.subject_id} is not claimed by you")


def release(log: EventLog, clock: Clock, *, moderator: User, message_id: str) -> Status:
    """Give a claimed item back to the queue it came from."""
    item = load_item(log, message_id)
    _held_by(item, moderator)
    return log.append(_event(ITEM_RELEASED, item, moderator, clock, "released"))


def skip(log: EventLog, clock: Clock, *, moderator: User, message_id: str) -> Status:
    """Pass on an item: release it if held, and keep it out of this moderator's "next"."""
    item = load_item(log, message_id)
    if item.state == ItemState.CLAIMED:
        _held_by(item, moderator)
    elif item.state not in CLAIMABLE_STATES:
        raise Conflict(f"message_id: item {message_id} is {item.state}, not waiting in a queue")
    released = item.state == ItemState.CLAIMED
    return log.append(_event(ITEM_SKIPPED, item, moderator, clock, "skipped", released=released))


def escalate(log: EventLog, clock: Clock, *, moderator: User, message_id: str, reason: str) -> Status:
    """Send an item to the escalated queue, for a more senior moderator."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason: say why the item needs a senior moderator")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters")
    item = load_item(log, message_id)
    back_to = str(item.state)
    if item.state == ItemState.CLAIMED:
        _held_by(item, moderator)
        back_to = str(item.data.get("return_state") or ItemState.REPORTED)
        if back_to == ItemState.APPEALED:
            raise Conflict(
                f"message_id: item {message_id} is an appeal; decide it or release it to the appealed queue"
            )
    elif item.state != ItemState.REPORTED:
        raise Conflict(
            f"message_id: item {message_id} is {item.state}; only items in a queue can be escalated"
        )
    return log.append(
        _event(
            ITEM_ESCALATED,
            item,
            moderator,
            clock,
            reason,
            escalated_by=moderator.id,
            reason=reason,
            back_to=back_to,
            was_claimed=item.state == ItemState.CLAIMED,
        )
    )


def assign(log: EventLog, clock: Clock, *, moderator: User, colleague: User, message_id: str) -> Status:
    """Hand an item to a named colleague: a claim in their name, written by `moderator`.

    The item must be waiting in a queue or held by `moderator`; the colleague must be a
    moderator who could claim it themselves (not the one who escalated it, nor the one whose
    decision is under appeal)."""
    if Role.MODERATOR not in colleague.roles or colleague.disabled:
        raise InvalidInput(f"colleague: {colleague.name} is not a moderator who can take items")
    item = load_item(log, message_id)
    if item.state == ItemState.CLAIMED:
        if item.assignee == colleague.id:
            return item
        _held_by(item, moderator)
        origin = str(item.data.get("return_state") or ItemState.REPORTED)
    elif item.state in CLAIMABLE_STATES:
        origin = str(item.state)
    else:
        raise Conflict(f"message_id: item {message_id} is {item.state}, not waiting in a queue")
    if origin == ItemState.ESCALATED and item.data.get("escalated_by") == colleague.id:
        raise InvalidInput(f"colleague: {colleague.name} escalated this item; choose someone else")
    if origin == ItemState.APPEALED and item.data.get("decided_by") == colleague.id:
        raise InvalidInput(f"colleague: {colleague.name} made the decision under appeal; choose someone else")
    event = Event(
        kind=ITEM_CLAIMED,
        subject_type=SUBJECT,
        subject_id=item.subject_id,
        actor=user_actor(moderator.id),
        occurred_at=clock.now(),
        idempotency_key=f"{ITEM_CLAIMED}:{item.subject_id}:{item.event_count}",
        reason=f"assigned to {colleague.name} by {moderator.name}",
        payload={"moderator_id": colleague.id, "assigned_by": moderator.id},
    )
    if item.state == ItemState.CLAIMED:
        # Keep the queue the item came from: release first, then claim in the colleague's name.
        item = log.append(_event(ITEM_RELEASED, item, moderator, clock, f"released to {colleague.name}"))
        event = replace(event, idempotency_key=f"{ITEM_CLAIMED}:{item.subject_id}:{item.event_count}")
    return log.append(event)


Undoable = Literal["release", "skip", "escalate"]
UNDO_KINDS: dict[str, Undoable] = {ITEM_RELEASED: "release", ITEM_SKIPPED: "skip", ITEM_ESCALATED: "escalate"}


def undoable(events: Sequence[Event], moderator: User) -> Event | None:
    """The item's last event, if it is a release, skip or escalation by `moderator` that can still
    be taken back: nothing has happened to the item since."""
    if not events:
        return None
    last = events[-1]
    if last.kind not in UNDO_KINDS or last.actor != user_actor(moderator.id):
        return None
    if last.kind == ITEM_ESCALATED and last.payload.get("back_to", ItemState.REPORTED) != ItemState.REPORTED:
        return None
    return last


def undo(log: EventLog, clock: Clock, *, moderator: User, message_id: str, events: Sequence[Event]) -> Status:
    """Take back this moderator's last release, skip or escalation of an item (`events` are the
    item's, in log order) with an event that reverses it: undo writes, it never deletes."""
    last = undoable(events, moderator)
    if last is None:
        raise Conflict(
            f"message_id: nothing to undo on {message_id}: the item changed since, or it was not your step"
        )
    item = load_item(log, message_id)
    if last.kind == ITEM_RELEASED:
        return claim(log, clock, moderator=moderator, message_id=message_id)
    if last.kind == ITEM_SKIPPED:
        item = log.append(_event(ITEM_SKIP_UNDONE, item, moderator, clock, "skip undone"))
        if last.payload.get("released"):
            item = claim(log, clock, moderator=moderator, message_id=message_id)
        return item
    item = log.append(
        _event(
            ITEM_ESCALATION_WITHDRAWN,
            item,
            moderator,
            clock,
            "escalation withdrawn",
            back_to=ItemState.REPORTED,
        )
    )
    if last.payload.get("was_claimed"):
        item = claim(log, clock, moderator=moderator, message_id=message_id)
    return item
