"""The protection vocabulary: subject types, event kinds and their pure reducers.

Five subject types, each registered in `hustings.events.registry`:

- ``incident`` (id: the incident id): a pile-on against one target. ``Status.target_id`` is the
  target, ``state`` is ``open`` or ``closed`` and ``priority`` is the incident's severity (0..1).
  Moderation reads open incidents to raise the priority of that target's reports.
- ``shield`` (id: the target id): ``on``, ``off`` or ``suggested``; ``due_at`` is when it ends.
- ``delivery`` (id: ``f"{target_id}:{message_id}"``): what the safe inbox did with one message
  for one target: ``delivered``, ``held``, ``hidden`` or ``released``, with why.
- ``controls`` (id: the target id): block and mute lists, hidden words, sensitivity, "only
  accounts I know" and the standing choice to switch the shield on when an incident opens.
- ``bundle`` (id: the target id): the target's evidence bundle, a list of message ids with who
  added each and when (see `docs/protection.md`).

Times in payloads and status data are ISO 8601 strings in UTC.
"""

from __future__ import annotations

from typing import Any

from hustings.clock import iso, parse_iso
from hustings.events.model import Event, Status, initial_status

INCIDENT = "incident"
SHIELD = "shield"
DELIVERY = "delivery"
CONTROLS = "controls"
BUNDLE = "bundle"

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

CONTROL_BLOCKED = "control.blocked"
CONTROL_UNBLOCKED = "control.unblocked"
CONTROL_MUTED = "control.muted"
CONTROL_UNMUTED = "control.unmuted"
CONTROL_HIDDEN_WORD_ADDED = "control.hidden_word_added"
CONTROL_HIDDEN_WORD_REMOVED = "control.hidden_word_removed"
CONTROL_SETTINGS_CHANGED = "control.settings_changed"

BUNDLE_ADDED = "bundle.added"
BUNDLE_REMOVED = "bundle.removed"


def delivery_id(target_id: str, message_id: str) -> str:
    return f"{target_id}:{message_id}"


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
    current = status or initial_status(event, state="open")
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
            state="open",
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
        return current.evolve(state="closed", data=data)
    raise ValueError(f"incident subjects do not take events of kind {event.kind!r}")


def reduce_shield(status: Status | None, event: Event) -> Status:
    """A target's shield: on (until when, extended how often), off, or suggested by an incident."""
    current = status or initial_status(event, state="off")
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    current = current.evolve(target_id=event.subject_id)
    if event.kind == SHIELD_SUGGESTED:
        data.update(suggested_by=payload.get("incident_id"), suggested_at=iso(event.occurred_at))
        state = current.state if current.state == "on" else "suggested"
        return current.evolve(state=state, data=data)
    if event.kind == SHIELD_SUGGESTION_WITHDRAWN:
        if current.state != "suggested" or data.get("suggested_by") != payload.get("incident_id"):
            return current
        data.update(suggested_by=None)
        return current.evolve(state="off", data=data)
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
        return current.evolve(state="on", data=data, due_at=parse_iso(payload["until"]))
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
        return current.evolve(state="off", data=data, due_at=None)
    raise ValueError(f"shield subjects do not take events of kind {event.kind!r}")


_DELIVERY_STATES = {
    DELIVERY_DELIVERED: "delivered",
    DELIVERY_HELD: "held",
    DELIVERY_HIDDEN: "hidden",
    DELIVERY_RELEASED: "released",
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


REDUCERS = {
    INCIDENT: reduce_incident,
    SHIELD: reduce_shield,
    DELIVERY: reduce_delivery,
    CONTROLS: reduce_controls,
    BUNDLE: reduce_bundle,
}
