"""Working an item: claim it (one moderator at a time), release or skip it, escalate it.

Each step is an event on the message subject. A claim's idempotency key includes the number of
events the item had when it was read, so two moderators who claim the same item at once write
the same key and the second is refused by the log's unique key: no two moderators on one item.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hustings.auth.model import User
from hustings.clock import Clock
from hustings.errors import Conflict, DuplicateEvent, InvalidInput, NotFound
from hustings.events import Event, EventLog, Status, user_actor
from hustings.messages.events import SUBJECT
from hustings.moderation.events import ITEM_CLAIMED, ITEM_ESCALATED, ITEM_RELEASED, ITEM_SKIPPED
from hustings.moderation.status import CLAIMABLE_STATES, ItemState

MAX_REASON = 2000


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
    if item.state not in CLAIMABLE_STATES:
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
    return log.append(_event(ITEM_SKIPPED, item, moderator, clock, "skipped"))


def escalate(log: EventLog, clock: Clock, *, moderator: User, message_id: str, reason: str) -> Status:
    """Send an item to the escalated queue, for a more senior moderator."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason: say why the item needs a senior moderator")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters")
    item = load_item(log, message_id)
    if item.state == ItemState.CLAIMED:
        _held_by(item, moderator)
        if item.data.get("return_state") == ItemState.APPEALED:
            raise Conflict(
                f"message_id: item {message_id} is an appeal; decide it or release it to the appealed queue"
            )
    elif item.state != ItemState.REPORTED:
        raise Conflict(
            f"message_id: item {message_id} is {item.state}; only items in a queue can be escalated"
        )
    return log.append(
        _event(ITEM_ESCALATED, item, moderator, clock, reason, escalated_by=moderator.id, reason=reason)
    )
