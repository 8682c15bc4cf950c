"""Protection as a unit of work: the ingest hook, the shield, controls, bundles, incident actions.

`Protection` turns decisions of the pure parts (`incidents`, `inbox`, `shield`, `controls`)
into events on the log; it reads statuses through a `ProtectionStore` and never commits (the
caller does). `Protection.on_ingest` is the ingest hook registered in `hustings.services`: for
each new message addressed to a registered target it feeds the pile-on detector, opens, grows or
closes incidents (switching the shield on where the target chose that, or suggesting it), and
decides what the safe inbox does with the message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from hustings.clock import Clock, iso
from hustings.detect.assessment import Assessment, Label
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.events import SYSTEM_ACTOR, Event, EventLog, Status, model_actor
from hustings.messages.ingest import IngestResult
from hustings.messages.model import Message, normalise_handle
from hustings.protection import events as ev
from hustings.protection.accounts import has_low_followers, is_new_account
from hustings.protection.controls import (
    AccountRef,
    Controls,
    Sensitivity,
    clean_hidden_word,
    hostile_labels,
)
from hustings.protection.inbox import decide, verdict_payload
from hustings.protection.incidents import (
    DetectorConfig,
    IncidentChange,
    PileOnDetector,
    Signal,
    TargetState,
)
from hustings.protection.shield import Shield, recap, shield_length

DETECTOR_MODEL = "pileon@1"
KNOWN_AFTER = timedelta(days=7)
"""An account is "known" to a target once it wrote to them at least this long before."""


class ProtectionStore(Protocol):
    """What protection needs from storage beyond the event log. Never commits."""

    def status(self, subject_type: str, subject_id: str) -> Status | None: ...

    def detector_state(self, target_id: str) -> dict[str, Any] | None: ...

    def save_detector_state(self, target_id: str, state: dict[str, Any], now: datetime) -> None: ...

    def known_authors(self, target_id: str, author_keys: Iterable[str], before: datetime) -> set[str]:
        """Which of `author_keys` sent the target a message created before `before`."""
        ...

    def open_incidents(self) -> list[Status]: ...

    def shields_due(self, now: datetime) -> list[Status]:
        """Shields still `on` whose time is up."""
        ...

    def deliveries(self, target_id: str) -> list[Status]: ...

    def message(self, message_id: str) -> Message | None: ...

    def target_exists(self, target_id: str) -> bool: ...


@dataclass
class _Batch:
    """Events of one ingest batch, with the shield and incident as they stand mid-batch."""

    events: list[Event] = field(default_factory=list)
    grew: dict[str, list[IncidentChange]] = field(default_factory=lambda: defaultdict(list))


class Protection:
    def __init__(
        self,
        *,
        store: ProtectionStore,
        log: EventLog,
        clock: Clock,
        config: DetectorConfig | None = None,
        thresholds: Mapping[Label, float] | None = None,
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.detector = PileOnDetector(config)
        self.thresholds = dict(thresholds) if thresholds is not None else None
        """The detector's per-label thresholds, from which a target's sensitivity is derived."""

    # ------------------------------------------------------------------ reads

    def controls(self, target_id: str) -> Controls:
        return Controls.from_status(target_id, self.store.status(ev.CONTROLS, target_id))

    def shield(self, target_id: str) -> Shield:
        return Shield.from_status(target_id, self.store.status(ev.SHIELD, target_id))

    def _state(self, target_id: str) -> TargetState:
        if target_id not in self.detector.states:
            saved = self.store.detector_state(target_id)
            if saved is not None:
                self.detector.load(TargetState.from_json(saved))
        return self.detector.state(target_id)

    # ------------------------------------------------------------------ ingest hook

    def on_ingest(self, result: IngestResult) -> None:
        """Detect incidents and decide deliveries for a freshly ingested batch (same transaction)."""
        now = self.clock.now()
        by_target: dict[str, list[Message]] = defaultdict(list)
        for message in result.stored:
            for target_id in message.target_ids:
                by_target[target_id].append(message)
        batch = _Batch()
        for target_id, messages in by_target.items():
            messages.sort(key=lambda m: (m.created_at, m.id))
            self._ingest_for_target(target_id, messages, result.assessments, batch, now)
        self._sweep(now, skip=set(by_target), batch=batch)
        self._flush(batch, now)

    def _ingest_for_target(
        self,
        target_id: str,
        messages: Sequence[Message],
        assessments: dict[str, Assessment],
        batch: _Batch,
        now: datetime,
    ) -> None:
        controls = self.controls(target_id)
        shield = self.shield(target_id)
        shield_on = shield.is_on(now)
        state = self._state(target_id)
        earliest = min(m.created_at for m in messages)
        known = self.store.known_authors(
            target_id, {m.author.key for m in messages}, before=earliest - KNOWN_AFTER
        )
        for message in messages:
            assessment = assessments.get(message.id)
            severity = assessment.severity if assessment else 0.0
            changes = self.detector.observe(
                Signal(
                    message_id=message.id,
                    target_id=target_id,
                    at=message.created_at,
                    author_key=message.author.key,
                    hostile=bool(assessment and assessment.flagged),
                    severity=severity,
                    fresh_account=is_new_account(message.author, message.created_at)
                    or has_low_followers(message.author),
                    text=message.text,
                    reply_to=message.in_reply_to_id,
                )
            )
            for change in changes:
                if change.kind == "opened":
                    shield_on = self._on_opened(change, controls, shield_on, batch, now) or shield_on
                elif change.kind == "grew":
                    batch.grew[change.incident_id].append(change)
                else:
                    self._on_closed(change, batch, now)
            incident = state.incident
            in_incident = incident is not None and any(
                message.id in c.message_ids for c in changes if c.kind in ("opened", "grew")
            )
            verdict = decide(
                message,
                hostile=hostile_labels(assessment, controls.sensitivity, self.thresholds),
                controls=controls,
                shield_on=shield_on,
                known=message.author.key in known,
            )
            kind = {
                "delivered": ev.DELIVERY_DELIVERED,
                "held": ev.DELIVERY_HELD,
                "hidden": ev.DELIVERY_HIDDEN,
            }[verdict.state]
            batch.events.append(
                Event(
                    kind=kind,
                    subject_type=ev.DELIVERY,
                    subject_id=ev.delivery_id(target_id, message.id),
                    actor=SYSTEM_ACTOR,
                    occurred_at=now,
                    idempotency_key=f"{kind}:{target_id}:{message.id}",
                    reason="; ".join(reason.detail for reason in verdict.why) or "delivered",
                    payload=verdict_payload(
                        verdict,
                        target_id=target_id,
                        message=message,
                        severity=severity,
                        incident_id=incident.id if incident is not None and in_incident else None,
                        decided_at=now,
                    ),
                )
            )
        self.store.save_detector_state(target_id, state.to_json(), now)

    def _on_opened(
        self, change: IncidentChange, controls: Controls, shield_on: bool, batch: _Batch, now: datetime
    ) -> bool:
        """Log the opening; switch the shield on if the target chose that. True if it is now on."""
        batch.events.append(
            Event(
                kind=ev.INCIDENT_OPENED,
                subject_type=ev.INCIDENT,
                subject_id=change.incident_id,
                actor=model_actor(DETECTOR_MODEL),
                occurred_at=now,
                idempotency_key=f"{ev.INCIDENT_OPENED}:{change.incident_id}",
                reason=change.reason,
                model=DETECTOR_MODEL,
                payload={
                    "target_id": change.target_id,
                    "at": iso(change.at),
                    "message_ids": list(change.message_ids),
                    "author_keys": list(change.author_keys),
                    "severity": change.severity,
                    "stats": change.stats,
                },
            )
        )
        if shield_on:
            return False
        if controls.auto_shield:
            batch.events.append(
                self._shield_enabled_event(
                    change.target_id,
                    actor=SYSTEM_ACTOR,
                    now=now,
                    days=None,
                    reason=f"switched on by your standing choice when incident {change.incident_id} opened",
                    incident_id=change.incident_id,
                )
            )
            return True
        batch.events.append(
            Event(
                kind=ev.SHIELD_SUGGESTED,
                subject_type=ev.SHIELD,
                subject_id=change.target_id,
                actor=SYSTEM_ACTOR,
                occurred_at=now,
                idempotency_key=f"{ev.SHIELD_SUGGESTED}:{change.target_id}:{change.incident_id}",
                reason=f"incident {change.incident_id} opened: the shield is suggested",
                payload={"incident_id": change.incident_id},
            )
        )
        return False

    def _on_closed(self, change: IncidentChange, batch: _Batch, now: datetime) -> None:
        """Log the closing; a shield suggested for this incident and never switched on is withdrawn."""
        shield = self.shield(change.target_id)
        if shield.state == "suggested" and shield.suggested_by == change.incident_id:
            batch.events.append(
                Event(
                    kind=ev.SHIELD_SUGGESTION_WITHDRAWN,
                    subject_type=ev.SHIELD,
                    subject_id=change.target_id,
                    actor=SYSTEM_ACTOR,
                    occurred_at=now,
                    idempotency_key=f"{ev.SHIELD_SUGGESTION_WITHDRAWN}:{change.target_id}:{change.incident_id}",
                    reason=f"incident {change.incident_id} closed",
                    payload={"incident_id": change.incident_id},
                )
            )
        batch.events.append(
            Event(
                kind=ev.INCIDENT_CLOSED,
                subject_type=ev.INCIDENT,
                subject_id=change.incident_id,
                actor=model_actor(DETECTOR_MODEL),
                occurred_at=now,
                idempotency_key=f"{ev.INCIDENT_CLOSED}:{change.incident_id}",
                reason=change.reason,
                model=DETECTOR_MODEL,
                payload={"target_id": change.target_id, "at": iso(change.at), "stats": change.stats},
            )
        )

    def _flush(self, batch: _Batch, now: datetime) -> None:
        for incident_id, grown in batch.grew.items():
            ids = [mid for change in grown for mid in change.message_ids]
            authors = list(dict.fromkeys(a for change in grown for a in change.author_keys))
            last = grown[-1]
            batch.events.append(
                Event(
                    kind=ev.INCIDENT_MESSAGE_ADDED,
                    subject_type=ev.INCIDENT,
                    subject_id=incident_id,
                    actor=model_actor(DETECTOR_MODEL),
                    occurred_at=now,
                    idempotency_key=f"{ev.INCIDENT_MESSAGE_ADDED}:{incident_id}:{ids[0]}",
                    reason=f"{len(ids)} more hostile messages",
                    model=DETECTOR_MODEL,
                    payload={
                        "target_id": last.target_id,
                        "at": iso(last.at),
                        "message_ids": ids,
                        "author_keys": authors,
                        "severity": last.severity,
                        "stats": last.stats,
                    },
                )
            )
        # Closing events must follow the growth they close over, so order by kind where it matters.
        order = {ev.INCIDENT_OPENED: 0, ev.INCIDENT_MESSAGE_ADDED: 1, ev.INCIDENT_CLOSED: 2}
        batch.events.sort(key=lambda e: order.get(e.kind, 1) if e.subject_type == ev.INCIDENT else 1)
        if batch.events:
            self.log.append_many(batch.events)

    # ------------------------------------------------------------------ sweep

    def sweep(self) -> dict[str, int]:
        """Close incidents whose rates fell back and end shields whose time is up (with a recap)."""
        now = self.clock.now()
        batch = _Batch()
        counts = self._sweep(now, skip=set(), batch=batch)
        self._flush(batch, now)
        return counts

    def _sweep(self, now: datetime, *, skip: set[str], batch: _Batch) -> dict[str, int]:
        closed = 0
        for status in self.store.open_incidents():
            target_id = status.target_id
            if target_id is None or target_id in skip:
                continue
            state = self._state(target_id)
            for change in self.detector.tick(target_id, now):
                self._on_closed(change, batch, now)
                closed += 1
            self.store.save_detector_state(target_id, state.to_json(), now)
        expired = 0
        for status in self.store.shields_due(now):
            shield = Shield.from_status(status.subject_id, status)
            assert shield.until is not None
            summary = recap(self.store.deliveries(status.subject_id), shield.since, shield.until)
            batch.events.append(
                Event(
                    kind=ev.SHIELD_EXPIRED,
                    subject_type=ev.SHIELD,
                    subject_id=status.subject_id,
                    actor=SYSTEM_ACTOR,
                    occurred_at=now,
                    idempotency_key=f"{ev.SHIELD_EXPIRED}:{status.subject_id}:{iso(shield.until)}",
                    reason=f"the shield's time was up at {iso(shield.until)}; {summary['held']} messages were held",
                    payload={"ended_at": iso(shield.until), "recap": summary},
                )
            )
            expired += 1
        return {"incidents_closed": closed, "shields_expired": expired}

    # ------------------------------------------------------------------ shield

    def _shield_enabled_event(
        self,
        target_id: str,
        *,
        actor: str,
        now: datetime,
        days: float | None,
        reason: str,
        incident_id: str | None = None,
    ) -> Event:
        until = now + shield_length(days)
        return Event(
            kind=ev.SHIELD_ENABLED,
            subject_type=ev.SHIELD,
            subject_id=target_id,
            actor=actor,
            occurred_at=now,
            idempotency_key=f"{ev.SHIELD_ENABLED}:{target_id}:{iso(now)}",
            reason=reason,
            payload={"since": iso(now), "until": iso(until), "incident_id": incident_id},
        )

    def enable_shield(self, target_id: str, *, actor: str, days: float | None = None) -> Shield:
        now = self.clock.now()
        self._require_target(target_id)
        if self.shield(target_id).is_on(now):
            raise Conflict("shield: already on; extend it instead")
        self.log.append(
            self._shield_enabled_event(target_id, actor=actor, now=now, days=days, reason="switched on")
        )
        return self.shield(target_id)

    def extend_shield(self, target_id: str, *, actor: str, days: float | None = None) -> Shield:
        now = self.clock.now()
        shield = self.shield(target_id)
        if not shield.is_on(now) or shield.until is None:
            raise Conflict("shield: not on; switch it on first")
        until = shield.until + shield_length(days)
        self.log.append(
            Event(
                kind=ev.SHIELD_EXTENDED,
                subject_type=ev.SHIELD,
                subject_id=target_id,
                actor=actor,
                occurred_at=now,
                idempotency_key=f"{ev.SHIELD_EXTENDED}:{target_id}:{iso(until)}",
                reason=f"extended to {iso(until)}",
                payload={"until": iso(until)},
            )
        )
        return self.shield(target_id)

    def disable_shield(self, target_id: str, *, actor: str) -> Shield:
        now = self.clock.now()
        shield = self.shield(target_id)
        if shield.state != "on":
            raise Conflict("shield: not on")
        summary = recap(self.store.deliveries(target_id), shield.since, now)
        self.log.append(
            Event(
                kind=ev.SHIELD_DISABLED,
                subject_type=ev.SHIELD,
                subject_id=target_id,
                actor=actor,
                occurred_at=now,
                idempotency_key=f"{ev.SHIELD_DISABLED}:{target_id}:{iso(now)}",
                reason=f"switched off; {summary['held']} messages were held",
                payload={"ended_at": iso(now), "recap": summary},
            )
        )
        return self.shield(target_id)

    def shield_recap(self, target_id: str) -> dict[str, Any]:
        """The recap of the shield period running now, or else of the last one."""
        now = self.clock.now()
        shield = self.shield(target_id)
        if shield.state == "on" and shield.since is not None:
            return recap(self.store.deliveries(target_id), shield.since, min(now, shield.until or now))
        if shield.last_recap:
            return dict(shield.last_recap)
        return recap([], None, now)

    # ------------------------------------------------------------------ controls

    def _require_target(self, target_id: str) -> None:
        if not self.store.target_exists(target_id):
            raise NotFound(f"target: no target {target_id!r}, or not yours")

    def _control(
        self, target_id: str, kind: str, payload: dict[str, Any], actor: str, reason: str
    ) -> Controls:
        now = self.clock.now()
        self._require_target(target_id)
        self.log.append(
            Event(
                kind=kind,
                subject_type=ev.CONTROLS,
                subject_id=target_id,
                actor=actor,
                occurred_at=now,
                idempotency_key=f"{kind}:{target_id}:{iso(now)}:{_digest(payload)}",
                reason=reason,
                payload=payload,
            )
        )
        return self.controls(target_id)

    def add_accounts(
        self, target_id: str, list_name: str, accounts: Sequence[AccountRef], *, actor: str
    ) -> Controls:
        kind = _list_kind(list_name, adding=True)
        if not accounts:
            return self.controls(target_id)
        return self._control(
            target_id,
            kind,
            {"accounts": [a.to_json() for a in accounts]},
            actor,
            f"{len(accounts)} accounts added to the {list_name} list",
        )

    def remove_accounts(
        self, target_id: str, list_name: str, accounts: Sequence[AccountRef], *, actor: str
    ) -> Controls:
        kind = _list_kind(list_name, adding=False)
        return self._control(
            target_id,
            kind,
            {"accounts": [a.to_json() for a in accounts]},
            actor,
            f"{len(accounts)} accounts removed from the {list_name} list",
        )

    def add_hidden_word(self, target_id: str, word: str, *, actor: str) -> Controls:
        cleaned = clean_hidden_word(word)
        return self._control(
            target_id, ev.CONTROL_HIDDEN_WORD_ADDED, {"word": cleaned}, actor, "hidden word added"
        )

    def remove_hidden_word(self, target_id: str, word: str, *, actor: str) -> Controls:
        if word not in self.controls(target_id).hidden_words:
            raise NotFound(f"word: {word!r} is not one of the hidden words")
        return self._control(
            target_id, ev.CONTROL_HIDDEN_WORD_REMOVED, {"word": word}, actor, "hidden word removed"
        )

    def change_settings(
        self,
        target_id: str,
        *,
        actor: str,
        sensitivity: Sensitivity | None = None,
        only_known: bool | None = None,
        auto_shield: bool | None = None,
    ) -> Controls:
        payload: dict[str, Any] = {}
        if sensitivity is not None:
            payload["sensitivity"] = sensitivity.value
        if only_known is not None:
            payload["only_known"] = only_known
        if auto_shield is not None:
            payload["auto_shield"] = auto_shield
        if not payload:
            raise InvalidInput("settings: give at least one of sensitivity, only_known, auto_shield")
        described = ", ".join(f"{key} = {value}" for key, value in payload.items())
        return self._control(target_id, ev.CONTROL_SETTINGS_CHANGED, payload, actor, described)

    # ------------------------------------------------------------------ inbox actions

    def release(self, target_id: str, message_id: str, *, actor: str) -> Status:
        subject = ev.delivery_id(target_id, message_id)
        status = self.store.status(ev.DELIVERY, subject)
        if status is None:
            raise NotFound(f"message_id: no message {message_id!r} for this target")
        if status.state not in ("held", "hidden"):
            raise Conflict(f"message_id: the message is {status.state}, not held or hidden")
        now = self.clock.now()
        return self.log.append(
            Event(
                kind=ev.DELIVERY_RELEASED,
                subject_type=ev.DELIVERY,
                subject_id=subject,
                actor=actor,
                occurred_at=now,
                idempotency_key=f"{ev.DELIVERY_RELEASED}:{subject}:{iso(now)}",
                reason=f"released from {status.state} into the inbox",
                payload={"target_id": target_id, "message_id": message_id},
            )
        )

    def add_to_bundle(
        self,
        target_id: str,
        message_ids: Sequence[str],
        *,
        actor: str,
        note: str = "",
        incident_id: str | None = None,
    ) -> Status:
        self._require_target(target_id)
        if not message_ids:
            raise InvalidInput("message_ids: give at least one message")
        for message_id in message_ids:
            if self.store.status(ev.DELIVERY, ev.delivery_id(target_id, message_id)) is None:
                raise NotFound(f"message_id: no message {message_id!r} for this target")
        now = self.clock.now()
        return self.log.append(
            Event(
                kind=ev.BUNDLE_ADDED,
                subject_type=ev.BUNDLE,
                subject_id=target_id,
                actor=actor,
                occurred_at=now,
                idempotency_key=f"{ev.BUNDLE_ADDED}:{target_id}:{iso(now)}:{_digest(list(message_ids))}",
                reason=note.strip()[:500] or "added to the evidence bundle",
                payload={"message_ids": list(message_ids), "incident_id": incident_id},
            )
        )

    def bundle(self, target_id: str) -> list[dict[str, Any]]:
        status = self.store.status(ev.BUNDLE, target_id)
        return [] if status is None else [dict(item) for item in status.data.get("items", [])]

    def incident(self, incident_id: str) -> Status:
        status = self.store.status(ev.INCIDENT, incident_id)
        if status is None:
            raise NotFound(f"incident_id: no incident {incident_id!r}, or not yours")
        return status

    def block_all_senders(self, incident_id: str, *, actor: str) -> int:
        """Put every account in an incident on the target's block list; return how many were added."""
        status = self.incident(incident_id)
        target_id = str(status.target_id)
        controls = self.controls(target_id)
        accounts: dict[str, AccountRef] = {}
        for message_id in status.data.get("message_ids", []):
            message = self.store.message(message_id)
            if message is None:
                continue
            ref = AccountRef(message.source, normalise_handle(message.author.handle), note=incident_id)
            if ref.key not in controls.blocked:
                accounts[ref.key] = ref
        if accounts:
            self.add_accounts(target_id, "blocked", list(accounts.values()), actor=actor)
        self.record_incident_action(incident_id, "block_all", actor=actor, count=len(accounts))
        return len(accounts)

    def record_incident_action(self, incident_id: str, action: str, *, actor: str, count: int) -> None:
        """Note on the incident's timeline that someone acted on all of it (a repeat is ignored)."""
        now = self.clock.now()
        self.log.append_many(
            [
                Event(
                    kind=ev.INCIDENT_ACTED,
                    subject_type=ev.INCIDENT,
                    subject_id=incident_id,
                    actor=actor,
                    occurred_at=now,
                    idempotency_key=f"{ev.INCIDENT_ACTED}:{incident_id}:{action}:{actor}:{iso(now)}",
                    reason=f"{action.replace('_', ' ')}: {count}",
                    payload={"action": action, "count": count, "at": iso(now), "by": actor},
                )
            ]
        )


def _list_kind(list_name: str, *, adding: bool) -> str:
    kinds = {
        ("blocked", True): ev.CONTROL_BLOCKED,
        ("blocked", False): ev.CONTROL_UNBLOCKED,
        ("muted", True): ev.CONTROL_MUTED,
        ("muted", False): ev.CONTROL_UNMUTED,
    }
    try:
        return kinds[(list_name, adding)]
    except KeyError:
        raise NotFound(f"list: no list {list_name!r}; expected blocked or muted") from None


def _digest(value: Any) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
