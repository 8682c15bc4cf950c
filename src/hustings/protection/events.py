"""The protection vocabulary: subject types, states, event kinds, their typed constructors and
their pure reducers.

Six subject types (`SubjectType`), each registered in `hustings.events.registry`:

- ``incident`` (id: the incident id): a pile-on against one target. ``Status.target_id`` is the
  target, ``state`` is an `IncidentState` and ``priority`` is the incident's severity (0..1).
  Moderation reads open incidents to raise the priority of that target's reports.
- ``shield`` (id: the target id): a `ShieldState`; ``due_at`` is when it ends.
- ``delivery`` (id: ``f"{target_id}:{message_id}"``): what the safe inbox did with one message
  for one target (a `DeliveryState`), with why.
- ``controls`` (id: the target id): block and mute lists, hidden words, sensitivity, "only
  accounts I know" and the standing choice to switch the shield on when an incident opens.
- ``bundle`` (id: the target id): the target's evidence bundle, a list of message ids with who
  added each and when (see `docs/protection.md`).
- ``viewing`` (id: a user id): how that person likes hostile content shown to them (greyscale,
  images hidden, one message revealed at a time, folders shown in full); see `ViewingChoice`.

Every protection event is made by one of the constructors below (`incident_opened`,
`shield_enabled`, `delivery_decided`...), which fix its subject, idempotency key and payload
(the `TypedDict` beside it). Times in payloads and status data are ISO 8601 strings in UTC.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict

from hustings.clock import iso, parse_iso
from hustings.events.model import SYSTEM_ACTOR, Event, Reducer, Status, initial_status, model_actor


class SubjectType(StrEnum):
    INCIDENT = "incident"
    SHIELD = "shield"
    DELIVERY = "delivery"
    CONTROLS = "controls"
    BUNDLE = "bundle"
    VIEWING = "viewing"


# The names other concepts import (moderation, referrals, storage).
INCIDENT = SubjectType.INCIDENT
SHIELD = SubjectType.SHIELD
DELIVERY = SubjectType.DELIVERY
CONTROLS = SubjectType.CONTROLS
BUNDLE = SubjectType.BUNDLE
VIEWING = SubjectType.VIEWING


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ShieldState(StrEnum):
    OFF = "off"
    ON = "on"
    SUGGESTED = "suggested"  # an incident opened and the target has not chosen yet


class DeliveryState(StrEnum):
    DELIVERED = "delivered"
    RELEASED = "released"  # was held or hidden, and someone let it into the inbox
    HELD = "held"
    HIDDEN = "hidden"


class IncidentAction(StrEnum):
    """Something done to every message or sender of an incident, noted on its timeline."""

    REPORT_ALL = "report_all"
    BLOCK_ALL = "block_all"
    BUNDLE_ALL = "bundle_all"


INCIDENT_OPENED = "incident.opened"
INCIDENT_MESSAGE_ADDED = "incident.message_added"
INCIDENT_ACTED = "incident.acted"
INCIDENT_CLOSED = "incident.closed"

SHIELD_SUGGESTED = "shield.suggested"
SHIELD_SUGGESTION_WITHDRAWN = "shield.suggestion_withdrawn"
SHIELD_ENABLED = "shield.enabled"
SHIELD_EXTENDED = "shield.extended"
SHIELD_DISABLED = "shield.disabled"
SHIELD_EXPIRED = "shield.expired"

DELIVERY_DELIVERED = "delivery.delivered"
DELIVERY_HELD = "delivery.held"
DELIVERY_HIDDEN = "delivery.hidden"
DELIVERY_RELEASED = "delivery.released"
DELIVERY_MOVED_TO_HIDDEN = "delivery.moved_to_hidden"
"""A block, mute or hidden word added later reached a message already in the inbox."""

CONTROL_BLOCKED = "control.blocked"
CONTROL_UNBLOCKED = "control.unblocked"
CONTROL_MUTED = "control.muted"
CONTROL_UNMUTED = "control.unmuted"
CONTROL_HIDDEN_WORD_ADDED = "control.hidden_word_added"
CONTROL_HIDDEN_WORD_REMOVED = "control.hidden_word_removed"
CONTROL_SETTINGS_CHANGED = "control.settings_changed"

BUNDLE_ADDED = "bundle.added"
BUNDLE_REMOVED = "bundle.removed"

VIEWING_CHANGED = "viewing.changed"


def delivery_id(target_id: str, message_id: str) -> str:
    return f"{target_id}:{message_id}"


# ---------------------------------------------------------------------- payloads


class IncidentGrowth(TypedDict):
    """`incident.opened` and `incident.message_added`: the messages and accounts it took in."""

    target_id: str
    at: str | None  # when the detector saw it (the last message's time)
    message_ids: list[str]
    author_keys: list[str]
    severity: float
    stats: dict[str, Any]


class IncidentClosed(TypedDict):
    target_id: str
    at: str | None
    stats: dict[str, Any]


class IncidentActed(TypedDict):
    action: str  # an IncidentAction value
    count: int
    at: str | None
    by: str


class ShieldSuggestion(TypedDict):
    """`shield.suggested` and `shield.suggestion_withdrawn`."""

    incident_id: str


class ShieldEnabled(TypedDict):
    since: str | None
    until: str | None
    incident_id: str | None  # the incident that switched it on, if the target chose that


class ShieldExtended(TypedDict):
    until: str | None


class ShieldEnded(TypedDict):
    """`shield.disabled` and `shield.expired`, with the recap of what the period held."""

    ended_at: str | None
    recap: dict[str, Any]


class DeliveryDecided(TypedDict):
    """`delivery.delivered`, `delivery.held` and `delivery.hidden`: one verdict of the safe inbox."""

    target_id: str
    message_id: str
    at: str  # when the message was sent
    decided_at: str
    author_key: str
    why: list[dict[str, str]]  # {code, detail} per reason
    hostile: list[str]  # labels over the target's sensitivity
    severity: float
    shielded: bool  # the shield (not a standing control) held it
    incident_id: str | None


class DeliveryReleased(TypedDict):
    target_id: str
    message_id: str


class DeliveryMoved(TypedDict):
    """`delivery.moved_to_hidden`: a control added later hides a message already delivered or held."""

    target_id: str
    message_id: str
    why: list[dict[str, str]]  # {code, detail} per reason
    control_key: str  # the idempotency key of the control change that moved it


class ControlAccounts(TypedDict):
    """`control.blocked`, `control.unblocked`, `control.muted`, `control.unmuted`."""

    accounts: list[dict[str, str]]  # {platform, handle, note}


class ControlHiddenWord(TypedDict):
    word: str


class ControlSettings(TypedDict, total=False):
    sensitivity: str  # a Sensitivity value
    only_known: bool
    auto_shield: bool


class ViewingChoice(TypedDict, total=False):
    """`viewing.changed`: one person's choices for seeing hostile content (only those given change).

    `show_all` maps ``"{target_id}:{folder}"`` to True where the person chose to see every message
    in that folder without revealing each one.
    """

    greyscale: bool
    hide_images: bool
    one_at_a_time: bool
    show_all: dict[str, bool]


class BundleAdded(TypedDict):
    message_ids: list[str]
    incident_id: str | None


# ---------------------------------------------------------------------- constructors


def _event(
    kind: str,
    subject: tuple[SubjectType, str],
    payload: Mapping[str, Any],
    *,
    actor: str,
    at: datetime,
    key: str,
    reason: str,
    model: str | None = None,
) -> Event:
    subject_type, subject_id = subject
    return Event(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=key,
        reason=reason,
        model=model,
        payload=dict(payload),
    )


def _digest(value: Any) -> str:
    """A short, stable hash of a JSON-able value, for the keys of changes that can repeat."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def incident_growth(
    *,
    target_id: str,
    detected_at: datetime,
    message_ids: Sequence[str],
    author_keys: Sequence[str],
    severity: float,
    stats: Mapping[str, Any],
) -> IncidentGrowth:
    """What the detector saw an incident take in: the payload of its opening or growth."""
    return {
        "target_id": target_id,
        "at": iso(detected_at),
        "message_ids": list(message_ids),
        "author_keys": list(author_keys),
        "severity": severity,
        "stats": dict(stats),
    }


def _detected(
    kind: str,
    incident_id: str,
    payload: Mapping[str, Any],
    *,
    key: str,
    reason: str,
    model: str,
    at: datetime,
) -> Event:
    """An incident event the pile-on detector (`model`) made."""
    subject = (INCIDENT, incident_id)
    return _event(
        kind, subject, payload, actor=model_actor(model), at=at, key=key, reason=reason, model=model
    )


def incident_opened(
    incident_id: str, growth: IncidentGrowth, *, reason: str, model: str, at: datetime
) -> Event:
    key = f"{INCIDENT_OPENED}:{incident_id}"
    return _detected(INCIDENT_OPENED, incident_id, growth, key=key, reason=reason, model=model, at=at)


def incident_messages_added(incident_id: str, growth: IncidentGrowth, *, model: str, at: datetime) -> Event:
    """More hostile messages joined an open incident (one event per ingest batch)."""
    ids = growth["message_ids"]
    key = f"{INCIDENT_MESSAGE_ADDED}:{incident_id}:{ids[0]}"
    reason = f"{len(ids)} more hostile messages"
    return _detected(INCIDENT_MESSAGE_ADDED, incident_id, growth, key=key, reason=reason, model=model, at=at)


def incident_closed(
    incident_id: str,
    *,
    target_id: str,
    detected_at: datetime,
    stats: Mapping[str, Any],
    reason: str,
    model: str,
    at: datetime,
) -> Event:
    payload: IncidentClosed = {"target_id": target_id, "at": iso(detected_at), "stats": dict(stats)}
    key = f"{INCIDENT_CLOSED}:{incident_id}"
    return _detected(INCIDENT_CLOSED, incident_id, payload, key=key, reason=reason, model=model, at=at)


def incident_acted(
    incident_id: str, action: IncidentAction, *, actor: str, count: int, at: datetime
) -> Event:
    payload: IncidentActed = {"action": action.value, "count": count, "at": iso(at), "by": actor}
    key = f"{INCIDENT_ACTED}:{incident_id}:{action.value}:{actor}:{iso(at)}"
    reason = f"{action.value.replace('_', ' ')}: {count}"
    return _event(
        INCIDENT_ACTED, (INCIDENT, incident_id), payload, actor=actor, at=at, key=key, reason=reason
    )


def shield_suggested(target_id: str, incident_id: str, *, at: datetime) -> Event:
    payload: ShieldSuggestion = {"incident_id": incident_id}
    key = f"{SHIELD_SUGGESTED}:{target_id}:{incident_id}"
    reason = f"incident {incident_id} opened: the shield is suggested"
    return _event(
        SHIELD_SUGGESTED, (SHIELD, target_id), payload, actor=SYSTEM_ACTOR, at=at, key=key, reason=reason
    )


def shield_suggestion_withdrawn(target_id: str, incident_id: str, *, at: datetime) -> Event:
    payload: ShieldSuggestion = {"incident_id": incident_id}
    key = f"{SHIELD_SUGGESTION_WITHDRAWN}:{target_id}:{incident_id}"
    reason = f"incident {incident_id} closed"
    kind = SHIELD_SUGGESTION_WITHDRAWN
    return _event(kind, (SHIELD, target_id), payload, actor=SYSTEM_ACTOR, at=at, key=key, reason=reason)


def shield_enabled(
    target_id: str,
    *,
    actor: str,
    since: datetime,
    until: datetime,
    reason: str,
    incident_id: str | None = None,
) -> Event:
    """The shield switched on at `since` (the event's time) until `until`."""
    payload: ShieldEnabled = {"since": iso(since), "until": iso(until), "incident_id": incident_id}
    key = f"{SHIELD_ENABLED}:{target_id}:{iso(since)}"
    return _event(SHIELD_ENABLED, (SHIELD, target_id), payload, actor=actor, at=since, key=key, reason=reason)


def shield_extended(target_id: str, *, actor: str, until: datetime, at: datetime) -> Event:
    payload: ShieldExtended = {"until": iso(until)}
    key = f"{SHIELD_EXTENDED}:{target_id}:{iso(until)}"
    reason = f"extended to {iso(until)}"
    return _event(SHIELD_EXTENDED, (SHIELD, target_id), payload, actor=actor, at=at, key=key, reason=reason)


def shield_disabled(target_id: str, *, actor: str, recap: Mapping[str, Any], at: datetime) -> Event:
    payload: ShieldEnded = {"ended_at": iso(at), "recap": dict(recap)}
    key = f"{SHIELD_DISABLED}:{target_id}:{iso(at)}"
    reason = f"switched off; {recap['held']} messages were held"
    return _event(SHIELD_DISABLED, (SHIELD, target_id), payload, actor=actor, at=at, key=key, reason=reason)


def shield_expired(target_id: str, *, until: datetime, recap: Mapping[str, Any], at: datetime) -> Event:
    payload: ShieldEnded = {"ended_at": iso(until), "recap": dict(recap)}
    key = f"{SHIELD_EXPIRED}:{target_id}:{iso(until)}"
    reason = f"the shield's time was up at {iso(until)}; {recap['held']} messages were held"
    return _event(
        SHIELD_EXPIRED, (SHIELD, target_id), payload, actor=SYSTEM_ACTOR, at=at, key=key, reason=reason
    )


DELIVERY_KINDS: dict[DeliveryState, str] = {
    DeliveryState.DELIVERED: DELIVERY_DELIVERED,
    DeliveryState.HELD: DELIVERY_HELD,
    DeliveryState.HIDDEN: DELIVERY_HIDDEN,
}
"""The event kind that records each verdict of the safe inbox."""


def delivery_decided(
    target_id: str,
    message_id: str,
    state: DeliveryState,
    *,
    sent_at: datetime,
    author_key: str,
    why: Sequence[Mapping[str, str]],
    hostile: Sequence[str],
    severity: float,
    shielded: bool,
    incident_id: str | None,
    at: datetime,
) -> Event:
    """What the safe inbox did with a freshly ingested message for one target, and why."""
    kind = DELIVERY_KINDS[state]
    payload: DeliveryDecided = {
        "target_id": target_id,
        "message_id": message_id,
        "at": sent_at.isoformat(),
        "decided_at": at.isoformat(),
        "author_key": author_key,
        "why": [dict(reason) for reason in why],
        "hostile": [str(label) for label in hostile],
        "severity": round(severity, 6),
        "shielded": shielded,
        "incident_id": incident_id,
    }
    subject = (DELIVERY, delivery_id(target_id, message_id))
    key = f"{kind}:{target_id}:{message_id}"
    reason = "; ".join(reason["detail"] for reason in why) or "delivered"
    return _event(kind, subject, payload, actor=SYSTEM_ACTOR, at=at, key=key, reason=reason)


def delivery_released(
    target_id: str, message_id: str, *, released_from: str, actor: str, at: datetime
) -> Event:
    payload: DeliveryReleased = {"target_id": target_id, "message_id": message_id}
    subject = (DELIVERY, delivery_id(target_id, message_id))
    key = f"{DELIVERY_RELEASED}:{subject[1]}:{iso(at)}"
    reason = f"released from {released_from} into the inbox"
    return _event(DELIVERY_RELEASED, subject, payload, actor=actor, at=at, key=key, reason=reason)


def delivery_moved_to_hidden(
    target_id: str,
    message_id: str,
    *,
    why: Sequence[Mapping[str, str]],
    control_key: str,
    actor: str,
    at: datetime,
) -> Event:
    """A control added after the message arrived hides it now: into the Hidden folder, with why.

    Keyed by the control change, so replaying that change moves each message once."""
    payload: DeliveryMoved = {
        "target_id": target_id,
        "message_id": message_id,
        "why": [dict(reason) for reason in why],
        "control_key": control_key,
    }
    subject = (DELIVERY, delivery_id(target_id, message_id))
    key = f"{DELIVERY_MOVED_TO_HIDDEN}:{subject[1]}:{_digest(control_key)}"
    reason = "; ".join(reason["detail"] for reason in why) or "moved to hidden"
    return _event(DELIVERY_MOVED_TO_HIDDEN, subject, payload, actor=actor, at=at, key=key, reason=reason)


def viewing_changed(user_id: str, choice: ViewingChoice, *, actor: str, at: datetime) -> Event:
    """A person changed how hostile content is shown to them."""
    key = f"{VIEWING_CHANGED}:{user_id}:{iso(at)}:{_digest(choice)}"
    described = ", ".join(f"{name} = {value}" for name, value in choice.items() if name != "show_all")
    reason = described or "folders shown in full changed"
    return _event(VIEWING_CHANGED, (VIEWING, user_id), choice, actor=actor, at=at, key=key, reason=reason)


ACCOUNT_LIST_KINDS = frozenset({CONTROL_BLOCKED, CONTROL_UNBLOCKED, CONTROL_MUTED, CONTROL_UNMUTED})


def _controls_event(
    kind: str, target_id: str, payload: Mapping[str, Any], *, actor: str, reason: str, at: datetime
) -> Event:
    # A control can be set, unset and set again: the key tells the changes apart by time and content.
    key = f"{kind}:{target_id}:{iso(at)}:{_digest(payload)}"
    return _event(kind, (CONTROLS, target_id), payload, actor=actor, at=at, key=key, reason=reason)


def control_accounts(
    kind: str, target_id: str, accounts: Sequence[Mapping[str, str]], *, actor: str, reason: str, at: datetime
) -> Event:
    """Accounts onto or off the block or mute list (`kind` is one of `ACCOUNT_LIST_KINDS`)."""
    if kind not in ACCOUNT_LIST_KINDS:
        raise ValueError(f"{kind!r} does not change a block or mute list")
    payload: ControlAccounts = {"accounts": [dict(account) for account in accounts]}
    return _controls_event(kind, target_id, payload, actor=actor, reason=reason, at=at)


def control_hidden_word(target_id: str, word: str, *, adding: bool, actor: str, at: datetime) -> Event:
    """A hidden word added (`adding`) or removed."""
    kind = CONTROL_HIDDEN_WORD_ADDED if adding else CONTROL_HIDDEN_WORD_REMOVED
    payload: ControlHiddenWord = {"word": word}
    reason = f"hidden word {'added' if adding else 'removed'}"
    return _controls_event(kind, target_id, payload, actor=actor, reason=reason, at=at)


def control_settings_changed(
    target_id: str, settings: ControlSettings, *, actor: str, reason: str, at: datetime
) -> Event:
    return _controls_event(CONTROL_SETTINGS_CHANGED, target_id, settings, actor=actor, reason=reason, at=at)


def bundle_added(
    target_id: str,
    message_ids: Sequence[str],
    *,
    actor: str,
    note: str,
    incident_id: str | None,
    at: datetime,
) -> Event:
    ids = list(message_ids)
    payload: BundleAdded = {"message_ids": ids, "incident_id": incident_id}
    key = f"{BUNDLE_ADDED}:{target_id}:{iso(at)}:{_digest(ids)}"
    reason = note.strip()[:500] or "added to the evidence bundle"
    return _event(BUNDLE_ADDED, (BUNDLE, target_id), payload, actor=actor, at=at, key=key, reason=reason)


def _extend_unique(existing: list[str], more: Any) -> list[str]:
    seen = set(existing)
    out = list(existing)
    for item in more or []:
        if item not in seen:
            seen.add(item)
            out.append(str(item))
    return out


def reduce_incident(status: Status | None, event: Event) -> Status:
    """An incident's messages, accounts, timeline and severity, from its events."""
    current = status or initial_status(event, state=IncidentState.OPEN)
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    entry = {
        "at": payload.get("at", iso(event.occurred_at)),
        "kind": event.kind,
        "added": len(payload.get("message_ids", [])),
        "severity": payload.get("severity"),
        "note": event.reason,
    }
    timeline = [*data.get("timeline", []), entry]
    if event.kind == INCIDENT_OPENED:
        data.update(
            target_id=payload["target_id"],
            opened_at=payload.get("at"),
            closed_at=None,
            message_ids=_extend_unique([], payload.get("message_ids")),
            author_keys=_extend_unique([], payload.get("author_keys")),
            stats=dict(payload.get("stats", {})),
            timeline=timeline,
        )
        return current.evolve(
            state=IncidentState.OPEN,
            data=data,
            target_id=str(payload["target_id"]),
            priority=float(payload.get("severity", 0.0)),
            category="pile_on",
        )
    if event.kind == INCIDENT_MESSAGE_ADDED:
        data.update(
            message_ids=_extend_unique(list(data.get("message_ids", [])), payload.get("message_ids")),
            author_keys=_extend_unique(list(data.get("author_keys", [])), payload.get("author_keys")),
            stats=dict(payload.get("stats", data.get("stats", {}))),
            timeline=timeline,
        )
        return current.evolve(
            data=data, priority=max(current.priority, float(payload.get("severity", current.priority)))
        )
    if event.kind == INCIDENT_ACTED:
        data.update(timeline=timeline, actions=[*data.get("actions", []), dict(payload)])
        return current.evolve(data=data)
    if event.kind == INCIDENT_CLOSED:
        data.update(closed_at=payload.get("at"), timeline=timeline, stats=dict(payload.get("stats", {})))
        return current.evolve(state=IncidentState.CLOSED, data=data)
    raise ValueError(f"incident subjects do not take events of kind {event.kind!r}")


def reduce_shield(status: Status | None, event: Event) -> Status:
    """A target's shield: on (until when, extended how often), off, or suggested by an incident."""
    current = status or initial_status(event, state=ShieldState.OFF)
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    current = current.evolve(target_id=event.subject_id)
    if event.kind == SHIELD_SUGGESTED:
        data.update(suggested_by=payload.get("incident_id"), suggested_at=iso(event.occurred_at))
        state = current.state if current.state == ShieldState.ON else ShieldState.SUGGESTED
        return current.evolve(state=state, data=data)
    if event.kind == SHIELD_SUGGESTION_WITHDRAWN:
        if current.state != ShieldState.SUGGESTED or data.get("suggested_by") != payload.get("incident_id"):
            return current
        data.update(suggested_by=None)
        return current.evolve(state=ShieldState.OFF, data=data)
    if event.kind == SHIELD_ENABLED:
        data.update(
            since=payload["since"],
            until=payload["until"],
            extended=0,
            enabled_by=event.actor,
            why=event.reason,
            incident_id=payload.get("incident_id"),
            suggested_by=None,
        )
        return current.evolve(state=ShieldState.ON, data=data, due_at=parse_iso(payload["until"]))
    if event.kind == SHIELD_EXTENDED:
        data.update(until=payload["until"], extended=int(data.get("extended", 0)) + 1)
        return current.evolve(data=data, due_at=parse_iso(payload["until"]))
    if event.kind in (SHIELD_DISABLED, SHIELD_EXPIRED):
        period = {
            "since": data.get("since"),
            "until": data.get("until"),
            "ended_at": payload.get("ended_at", iso(event.occurred_at)),
            "ended_by": event.actor,
            "recap": payload.get("recap"),
        }
        data.update(periods=[*data.get("periods", []), period], last_recap=payload.get("recap"))
        for key in ("since", "until", "extended", "enabled_by", "why", "incident_id"):
            data.pop(key, None)
        return current.evolve(state=ShieldState.OFF, data=data, due_at=None)
    raise ValueError(f"shield subjects do not take events of kind {event.kind!r}")


_DELIVERY_STATES = {
    DELIVERY_DELIVERED: DeliveryState.DELIVERED,
    DELIVERY_HELD: DeliveryState.HELD,
    DELIVERY_HIDDEN: DeliveryState.HIDDEN,
    DELIVERY_RELEASED: DeliveryState.RELEASED,
    DELIVERY_MOVED_TO_HIDDEN: DeliveryState.HIDDEN,
}


def reduce_delivery(status: Status | None, event: Event) -> Status:
    """What the safe inbox did with one message for one target, and why."""
    try:
        state = _DELIVERY_STATES[event.kind]
    except KeyError:
        raise ValueError(f"delivery subjects do not take events of kind {event.kind!r}") from None
    current = status or initial_status(event, state=state)
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    if event.kind == DELIVERY_RELEASED:
        data.update(released_by=event.actor, released_at=iso(event.occurred_at))
        return current.evolve(state=state, data=data)
    if event.kind == DELIVERY_MOVED_TO_HIDDEN:
        why = list(payload.get("why", []))
        data.update(
            why=why,
            moved_from=current.state,
            moved_by=event.actor,
            moved_at=iso(event.occurred_at),
            shielded=False,
        )
        return current.evolve(
            state=state, data=data, category=str(why[0]["code"]) if why else current.category
        )
    data.update(
        message_id=payload["message_id"],
        at=payload.get("at"),
        decided_at=payload.get("decided_at"),
        author_key=payload.get("author_key"),
        why=list(payload.get("why", [])),
        hostile=list(payload.get("hostile", [])),
        severity=float(payload.get("severity", 0.0)),
        shielded=bool(payload.get("shielded", False)),
        incident_id=payload.get("incident_id"),
    )
    why = data["why"]
    return current.evolve(
        state=state,
        data=data,
        target_id=str(payload["target_id"]),
        priority=data["severity"],
        category=str(why[0]["code"]) if why else None,
    )


def _list_key(payload: Any) -> str:
    return f"{payload['platform']}:{payload['handle']}"


def reduce_controls(status: Status | None, event: Event) -> Status:
    """A target's controls: block and mute lists, hidden words and settings."""
    current = status or initial_status(event, state="set")
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    current = current.evolve(target_id=event.subject_id)
    if event.kind in (CONTROL_BLOCKED, CONTROL_MUTED):
        field = "blocked" if event.kind == CONTROL_BLOCKED else "muted"
        entries = dict(data.get(field, {}))
        for item in payload.get("accounts", []):
            entries[_list_key(item)] = {
                "platform": item["platform"],
                "handle": item["handle"],
                "note": item.get("note", ""),
                "added_at": iso(event.occurred_at),
                "added_by": event.actor,
            }
        data[field] = entries
    elif event.kind in (CONTROL_UNBLOCKED, CONTROL_UNMUTED):
        field = "blocked" if event.kind == CONTROL_UNBLOCKED else "muted"
        entries = dict(data.get(field, {}))
        for item in payload.get("accounts", []):
            entries.pop(_list_key(item), None)
        data[field] = entries
    elif event.kind == CONTROL_HIDDEN_WORD_ADDED:
        data["hidden_words"] = _extend_unique(list(data.get("hidden_words", [])), [payload["word"]])
    elif event.kind == CONTROL_HIDDEN_WORD_REMOVED:
        data["hidden_words"] = [w for w in data.get("hidden_words", []) if w != payload["word"]]
    elif event.kind == CONTROL_SETTINGS_CHANGED:
        for key in ("sensitivity", "only_known", "auto_shield"):
            if key in payload:
                data[key] = payload[key]
    else:
        raise ValueError(f"controls subjects do not take events of kind {event.kind!r}")
    return current.evolve(data=data)


def reduce_bundle(status: Status | None, event: Event) -> Status:
    """A target's evidence bundle: message ids, each with who added it, when, and a note."""
    current = status or initial_status(event, state="open")
    data: dict[str, Any] = dict(current.data)
    items: list[dict[str, Any]] = list(data.get("items", []))
    payload = event.payload
    if event.kind == BUNDLE_ADDED:
        present = {item["message_id"] for item in items}
        for message_id in payload.get("message_ids", []):
            if message_id not in present:
                present.add(message_id)
                items.append(
                    {
                        "message_id": message_id,
                        "added_by": event.actor,
                        "added_at": iso(event.occurred_at),
                        "note": event.reason,
                        "incident_id": payload.get("incident_id"),
                    }
                )
    elif event.kind == BUNDLE_REMOVED:
        gone = set(payload.get("message_ids", []))
        items = [item for item in items if item["message_id"] not in gone]
    else:
        raise ValueError(f"bundle subjects do not take events of kind {event.kind!r}")
    data["items"] = items
    return current.evolve(data=data, target_id=event.subject_id, priority=float(len(items)))


def reduce_viewing(status: Status | None, event: Event) -> Status:
    """One person's choices for seeing hostile content: the latest value of each wins."""
    if event.kind != VIEWING_CHANGED:
        raise ValueError(f"viewing subjects do not take events of kind {event.kind!r}")
    current = status or initial_status(event, state="set")
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    for name in ("greyscale", "hide_images", "one_at_a_time"):
        if name in payload:
            data[name] = bool(payload[name])
    if "show_all" in payload:
        shown = dict(data.get("show_all", {}))
        for folder_key, on in payload["show_all"].items():
            if on:
                shown[folder_key] = True
            else:
                shown.pop(folder_key, None)
        data["show_all"] = shown
    return current.evolve(data=data)


REDUCERS: dict[str, Reducer] = {
    INCIDENT: reduce_incident,
    SHIELD: reduce_shield,
    DELIVERY: reduce_delivery,
    CONTROLS: reduce_controls,
    BUNDLE: reduce_bundle,
    VIEWING: reduce_viewing,
}
