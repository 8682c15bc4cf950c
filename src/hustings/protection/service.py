"""Protection as a service: the ingest hook, the shield, controls, bundles, incident actions.

`Protection` turns decisions of the pure parts (`incidents`, `inbox`, `shield`, `controls`)
into events on the log; it reads statuses through a `ProtectionStore` and never commits (the
caller does). `hustings.services.Services.protection` is the one place it is built, over the
SQL store; `hustings.protection.memory` holds the in-memory twin its domain tests run on.
`Protection.intake` is the ingest hook registered in `hustings.services`: for each new message
addressed to a registered target it feeds the pile-on detector, opens, grows or closes incidents
(switching the shield on where the target chose that, or suggesting it), and decides what the
safe inbox does with the message.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from hustings.auth.model import User
from hustings.clock import Clock
from hustings.detect.assessment import Assessment, Label
from hustings.errors import Conflict, DuplicateEvent, InvalidInput, NotFound
from hustings.events import SYSTEM_ACTOR, Event, EventLog, Status, user_actor
from hustings.messages.ingest import IngestResult
from hustings.messages.model import Message, normalise_handle
from hustings.moderation.events import ReporterKind
from hustings.moderation.reports import ReportOutcome, reporter_kind_for
from hustings.protection import events as ev
from hustings.protection.accounts import has_low_followers, is_new_account
from hustings.protection.controls import (
    AccountRef,
    Controls,
    Sensitivity,
    clean_hidden_word,
    hostile_labels,
)
from hustings.protection.events import DeliveryState, IncidentAction, IncidentState, ShieldState
from hustings.protection.inbox import INBOX_FOLDERS, InboxItem, Viewing, decide, hiding_reasons
from hustings.protection.incidents import (
    DetectorConfig,
    IncidentChange,
    PileOnDetector,
    Signal,
    TargetState,
)
from hustings.protection.shield import Shield, recap, shield_length
from hustings.targets.model import may_see

DETECTOR_MODEL = "pileon@1"
KNOWN_AFTER = timedelta(days=7)
"""An account is "known" to a target once it wrote to them at least this long before."""


class ReportDesk(Protocol):
    """Where protection files reports: moderation owns them (`Moderation.file_report`)."""

    def file_report(
        self,
        *,
        message_id: str,
        reporter: User,
        category: str,
        claims_illegal: bool = False,
        note: str = "",
        reporter_kind: ReporterKind | None = None,
        idempotency_key: str | None = None,
    ) -> ReportOutcome: ...


class InboxRedactor(Protocol):
    """The private-details register as the safe inbox uses it (`PrivateDetails`): it takes
    private details out of the inbox's messages, and says which messages named them."""

    def redacted(self, target_id: str, items: Sequence[InboxItem]) -> list[InboxItem]: ...

    def alerts(self, target_id: str) -> list[dict[str, Any]]: ...


class ProtectionStore(Protocol):
    """What protection needs from storage beyond the event log. Never commits."""

    def status(self, subject_type: str, subject_id: str) -> Status | None: ...

    def detector_state(self, target_id: str) -> dict[str, Any] | None:
        """The detector's saved state for a target, held (locked) for this transaction."""
        ...

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

    def incidents(
        self, target_ids: Sequence[str] | None, state: str | None = None, limit: int = 200
    ) -> list[Status]:
        """Incidents, most recently changed first; `target_ids=None` means every target."""
        ...

    def folder_counts(self, target_id: str) -> dict[str, int]:
        """Messages per delivery state, plus `hostile`: delivered messages shown blurred."""
        ...

    def inbox(self, target_id: str, folder: str, *, limit: int = 100, offset: int = 0) -> list[InboxItem]:
        """The messages in one folder (a key of `INBOX_FOLDERS`), newest first."""
        ...


@dataclass(frozen=True, slots=True)
class ControlChange:
    """A control added, and how many messages already there it moved to the Hidden folder."""

    controls: Controls
    moved: int = 0

    @property
    def moved_in_words(self) -> str:
        """What the change did to what was already there, for a confirmation."""
        if not self.moved:
            return "No earlier messages were affected."
        return f"{self.moved} earlier message{'' if self.moved == 1 else 's'} moved to Hidden."


@dataclass
class _Batch:
    """Events of one ingest batch, with the shield and incident as they stand mid-batch."""

    events: list[Event] = field(default_factory=list)
    grew: dict[str, list[IncidentChange]] = field(default_factory=lambda: defaultdict(list))


class Protection:
    def __init__(
        self,
        store: ProtectionStore,
        log: EventLog,
        clock: Clock,
        *,
        reports: ReportDesk,
        config: DetectorConfig | None = None,
        thresholds: Mapping[Label, float] | None = None,
        redactor: InboxRedactor | None = None,
        owns: Callable[[str], bool] | None = None,
    ) -> None:
        self.store = store
        self.owns = owns
        """Which targets an ingest's sweep may touch (a worker: those of the partition it is
        storing, so no two workers lock one target's state); None: every target."""
        self.redactor = redactor
        """Redacts private details from what the inbox serves; None serves the text as stored."""
        self.log = log
        self.clock = clock
        self.reports = reports
        self.detector = PileOnDetector(config)
        self.thresholds = dict(thresholds) if thresholds is not None else None
        """The detector's per-label thresholds, from which a target's sensitivity is derived."""

    # ------------------------------------------------------------------ reads

    def controls(self, target_id: str) -> Controls:
        return Controls.from_status(target_id, self.store.status(ev.CONTROLS, target_id))

    def shield(self, target_id: str) -> Shield:
        return Shield.from_status(target_id, self.store.status(ev.SHIELD, target_id))

    def viewing(self, user_id: str) -> Viewing:
        """How this person likes hostile content shown to them."""
        return Viewing.from_status(user_id, self.store.status(ev.VIEWING, user_id))

    def change_viewing(
        self,
        user_id: str,
        *,
        actor: str,
        greyscale: bool | None = None,
        hide_images: bool | None = None,
        one_at_a_time: bool | None = None,
        show_all: tuple[str, str, bool] | None = None,
    ) -> Viewing:
        """Change one person's viewing choices; `show_all` is (target id, folder, on)."""
        choice: ev.ViewingChoice = {}
        if greyscale is not None:
            choice["greyscale"] = greyscale
        if hide_images is not None:
            choice["hide_images"] = hide_images
        if one_at_a_time is not None:
            choice["one_at_a_time"] = one_at_a_time
        if show_all is not None:
            target_id, folder, on = show_all
            if folder not in INBOX_FOLDERS:
                raise NotFound(f"folder: no folder {folder!r}; expected inbox, held or hidden")
            self._require_target(target_id)
            choice["show_all"] = {f"{target_id}:{folder}": on}
        if not choice:
            raise InvalidInput("viewing: give at least one choice to change")
        self.log.append(ev.viewing_changed(user_id, choice, actor=actor, at=self.clock.now()))
        return self.viewing(user_id)

    def incidents(
        self, target_ids: Sequence[str] | None, *, state: IncidentState | None = None, limit: int = 200
    ) -> list[Status]:
        """Incidents of these targets (None: of every target), most recently changed first."""
        return self.store.incidents(target_ids, state=state, limit=limit)

    def open_incidents_of(self, target_id: str) -> list[Status]:
        return self.incidents([target_id], state=IncidentState.OPEN)

    def incident(self, incident_id: str) -> Status:
        status = self.store.status(ev.INCIDENT, incident_id)
        if status is None:
            raise NotFound(f"incident_id: no incident {incident_id!r}, or not yours")
        return status

    def visible_incident(self, user: User, incident_id: str) -> Status:
        """The incident, if it exists and `user` may see its target; `NotFound` otherwise, so that
        an incident outside the caller's scope is not leaked."""
        status = self.store.status(ev.INCIDENT, incident_id)
        if status is None or status.target_id is None or not may_see(user, status.target_id):
            raise NotFound(f"incident_id: no incident {incident_id!r}, or not yours")
        return status

    def folder_counts(self, target_id: str) -> dict[str, int]:
        return self.store.folder_counts(target_id)

    def inbox(self, target_id: str, folder: str, *, limit: int = 100, offset: int = 0) -> list[InboxItem]:
        """One folder of a target's safe inbox (`inbox`, `held` or `hidden`), newest first, with
        private details, addresses, postcodes and phone numbers redacted."""
        if folder not in INBOX_FOLDERS:
            raise NotFound(f"folder: no folder {folder!r}; expected inbox, held or hidden")
        items = self.store.inbox(target_id, folder, limit=limit, offset=offset)
        return items if self.redactor is None else self.redactor.redacted(target_id, items)

    def inbox_item(self, target_id: str, message_id: str) -> InboxItem:
        """One message of the target's safe inbox, whatever its folder, redacted as `inbox` is."""
        delivery = self.store.status(ev.DELIVERY, ev.delivery_id(target_id, message_id))
        message = self.store.message(message_id)
        if delivery is None or message is None:
            raise NotFound(f"message_id: no message {message_id!r} for this target")
        item = InboxItem(message, delivery)
        return item if self.redactor is None else self.redactor.redacted(target_id, [item])[0]

    def bundle_items(self, target_id: str) -> list[tuple[dict[str, Any], InboxItem | None]]:
        """The evidence bundle, each entry with its message as the inbox shows it (None if gone)."""
        items: list[tuple[dict[str, Any], InboxItem | None]] = []
        for entry in self.bundle(target_id):
            try:
                items.append((entry, self.inbox_item(target_id, str(entry["message_id"]))))
            except NotFound:
                items.append((entry, None))
        return items

    def digest(self, target_id: str) -> dict[str, Any]:
        """What was held or hidden and why, the shield's state and recap, open incidents, and the
        messages that named the target's private details (their kinds, never the details)."""
        reasons: Counter[str] = Counter()
        for status in self.store.deliveries(target_id):
            if status.state in (DeliveryState.HELD, DeliveryState.HIDDEN):
                for reason in status.data.get("why", []):
                    reasons[str(reason.get("code"))] += 1
        return {
            "target_id": target_id,
            "counts": self.store.folder_counts(target_id),
            "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "shield": self.shield(target_id).to_json(self.clock.now()),
            "recap": self.shield_recap(target_id),
            "open_incidents": [
                {"id": s.subject_id, "severity": s.priority, "messages": len(s.data.get("message_ids", []))}
                for s in self.open_incidents_of(target_id)
            ],
            "private_detail_alerts": [] if self.redactor is None else self.redactor.alerts(target_id),
        }

    def _state(self, target_id: str) -> TargetState:
        if target_id not in self.detector.states:
            saved = self.store.detector_state(target_id)
            if saved is not None:
                self.detector.load(TargetState.from_json(saved))
        return self.detector.state(target_id)

    def _forget_detector_states(self) -> None:
        # Each run of the detector reads (and locks) the saved states afresh: the service can
        # outlive a transaction, and another writer may have moved a state on since.
        self.detector.states.clear()

    # ------------------------------------------------------------------ ingest hook

    def intake(self, result: IngestResult) -> None:
        """The ingest hook: detect incidents and decide deliveries for a freshly ingested batch,
        in the same transaction."""
        self._forget_detector_states()
        now = self.clock.now()
        by_target: dict[str, list[Message]] = defaultdict(list)
        for message in result.stored:
            for target_id in message.target_ids:
                by_target[target_id].append(message)
        batch = _Batch()
        # In target order, so two batches that share targets lock their states in one order.
        for target_id, messages in sorted(by_target.items()):
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
            batch.events.append(
                ev.delivery_decided(
                    target_id,
                    message.id,
                    verdict.state,
                    sent_at=message.created_at,
                    author_key=message.author.key,
                    why=[reason.to_json() for reason in verdict.why],
                    hostile=verdict.hostile,
                    severity=severity,
                    shielded=verdict.shielded,
                    incident_id=incident.id if incident is not None and in_incident else None,
                    at=now,
                )
            )
        self.store.save_detector_state(target_id, state.to_json(), now)

    def _on_opened(
        self, change: IncidentChange, controls: Controls, shield_on: bool, batch: _Batch, now: datetime
    ) -> bool:
        """Log the opening; switch the shield on if the target chose that. True if it is now on."""
        batch.events.append(
            ev.incident_opened(
                change.incident_id,
                ev.incident_growth(
                    target_id=change.target_id,
                    detected_at=change.at,
                    message_ids=change.message_ids,
                    author_keys=change.author_keys,
                    severity=change.severity,
                    stats=change.stats,
                ),
                reason=change.reason,
                model=DETECTOR_MODEL,
                at=now,
            )
        )
        if shield_on:
            return False
        if controls.auto_shield:
            batch.events.append(
                ev.shield_enabled(
                    change.target_id,
                    actor=SYSTEM_ACTOR,
                    since=now,
                    until=now + shield_length(None),
                    reason=f"switched on by your standing choice when incident {change.incident_id} opened",
                    incident_id=change.incident_id,
                )
            )
            return True
        batch.events.append(ev.shield_suggested(change.target_id, change.incident_id, at=now))
        return False

    def _on_closed(self, change: IncidentChange, batch: _Batch, now: datetime) -> None:
        """Log the closing; a shield suggested for this incident and never switched on is withdrawn."""
        shield = self.shield(change.target_id)
        if shield.state == ShieldState.SUGGESTED and shield.suggested_by == change.incident_id:
            batch.events.append(ev.shield_suggestion_withdrawn(change.target_id, change.incident_id, at=now))
        batch.events.append(
            ev.incident_closed(
                change.incident_id,
                target_id=change.target_id,
                detected_at=change.at,
                stats=change.stats,
                reason=change.reason,
                model=DETECTOR_MODEL,
                at=now,
            )
        )

    def _flush(self, batch: _Batch, now: datetime) -> None:
        for incident_id, grown in batch.grew.items():
            last = grown[-1]
            batch.events.append(
                ev.incident_messages_added(
                    incident_id,
                    ev.incident_growth(
                        target_id=last.target_id,
                        detected_at=last.at,
                        message_ids=[mid for change in grown for mid in change.message_ids],
                        author_keys=list(dict.fromkeys(a for change in grown for a in change.author_keys)),
                        severity=last.severity,
                        stats=last.stats,
                    ),
                    model=DETECTOR_MODEL,
                    at=now,
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
        self._forget_detector_states()
        now = self.clock.now()
        batch = _Batch()
        counts = self._sweep(now, skip=set(), batch=batch)
        self._flush(batch, now)
        return counts

    def _owned(self, target_id: str) -> bool:
        return self.owns is None or self.owns(target_id)

    def _sweep(self, now: datetime, *, skip: set[str], batch: _Batch) -> dict[str, int]:
        closed = 0
        for status in self.store.open_incidents():
            target_id = status.target_id
            if target_id is None or target_id in skip or not self._owned(target_id):
                continue
            state = self._state(target_id)
            for change in self.detector.tick(target_id, now):
                self._on_closed(change, batch, now)
                closed += 1
            self.store.save_detector_state(target_id, state.to_json(), now)
        expired = 0
        for status in self.store.shields_due(now):
            if not self._owned(status.subject_id):
                continue
            shield = Shield.from_status(status.subject_id, status)
            assert shield.until is not None
            summary = recap(self.store.deliveries(status.subject_id), shield.since, shield.until)
            batch.events.append(
                ev.shield_expired(status.subject_id, until=shield.until, recap=summary, at=now)
            )
            expired += 1
        return {"incidents_closed": closed, "shields_expired": expired}

    # ------------------------------------------------------------------ shield

    def enable_shield(self, target_id: str, *, actor: str, days: float | None = None) -> Shield:
        now = self.clock.now()
        self._require_target(target_id)
        if self.shield(target_id).is_on(now):
            raise Conflict("shield: already on; extend it instead")
        self.log.append(
            ev.shield_enabled(
                target_id, actor=actor, since=now, until=now + shield_length(days), reason="switched on"
            )
        )
        return self.shield(target_id)

    def extend_shield(self, target_id: str, *, actor: str, days: float | None = None) -> Shield:
        now = self.clock.now()
        shield = self.shield(target_id)
        if not shield.is_on(now) or shield.until is None:
            raise Conflict("shield: not on; switch it on first")
        until = shield.until + shield_length(days)
        self.log.append(ev.shield_extended(target_id, actor=actor, until=until, at=now))
        return self.shield(target_id)

    def disable_shield(self, target_id: str, *, actor: str) -> Shield:
        now = self.clock.now()
        shield = self.shield(target_id)
        if shield.state != ShieldState.ON:
            raise Conflict("shield: not on")
        summary = recap(self.store.deliveries(target_id), shield.since, now)
        self.log.append(ev.shield_disabled(target_id, actor=actor, recap=summary, at=now))
        return self.shield(target_id)

    def shield_recap(self, target_id: str) -> dict[str, Any]:
        """The recap of the shield period running now, or else of the last one."""
        now = self.clock.now()
        shield = self.shield(target_id)
        if shield.state == ShieldState.ON and shield.since is not None:
            return recap(self.store.deliveries(target_id), shield.since, min(now, shield.until or now))
        if shield.last_recap:
            return dict(shield.last_recap)
        return recap([], None, now)

    # ------------------------------------------------------------------ controls

    def _require_target(self, target_id: str) -> None:
        if not self.store.target_exists(target_id):
            raise NotFound(f"target: no target {target_id!r}, or not yours")

    def _control(self, target_id: str, event: Event) -> Controls:
        self._require_target(target_id)
        self.log.append(event)
        return self.controls(target_id)

    def _move_earlier(self, target_id: str, added: Controls, cause: Event, *, actor: str) -> int:
        """Move the messages already in the inbox or held that `added` (only the controls just
        added) would hide into the Hidden folder, with why; return how many moved.

        Each move is an event on the message's delivery, keyed by the control change, so the
        folders stay a view of the log and a retry moves nothing twice."""
        moves: list[Event] = []
        now = self.clock.now()
        for folder in ("inbox", "held"):
            for item in self.store.inbox(target_id, folder, limit=1_000_000):
                reasons = hiding_reasons(item.message, added)
                if reasons:
                    moves.append(
                        ev.delivery_moved_to_hidden(
                            target_id,
                            item.message.id,
                            why=[reason.to_json() for reason in reasons],
                            control_key=cause.idempotency_key,
                            actor=actor,
                            at=now,
                        )
                    )
        return len(self.log.append_many(moves).appended) if moves else 0

    def _accounts(
        self, target_id: str, list_name: str, accounts: Sequence[AccountRef], *, adding: bool, actor: str
    ) -> ControlChange:
        kind = _list_kind(list_name, adding=adding)
        reason = f"{len(accounts)} accounts {'added to' if adding else 'removed from'} the {list_name} list"
        event = ev.control_accounts(
            kind,
            target_id,
            [account.to_json() for account in accounts],
            actor=actor,
            reason=reason,
            at=self.clock.now(),
        )
        controls = self._control(target_id, event)
        if not adding:
            return ControlChange(controls)
        entries = {account.key: account.to_json() for account in accounts}
        added = Controls(
            target_id,
            blocked=entries if list_name == "blocked" else {},
            muted=entries if list_name == "muted" else {},
        )
        return ControlChange(controls, self._move_earlier(target_id, added, event, actor=actor))

    def add_accounts(
        self, target_id: str, list_name: str, accounts: Sequence[AccountRef], *, actor: str
    ) -> ControlChange:
        """Put accounts on the block or mute list; their messages already there move to Hidden."""
        _list_kind(list_name, adding=True)
        if not accounts:
            return ControlChange(self.controls(target_id))
        return self._accounts(target_id, list_name, accounts, adding=True, actor=actor)

    def remove_accounts(
        self, target_id: str, list_name: str, accounts: Sequence[AccountRef], *, actor: str
    ) -> Controls:
        """Take accounts off a list. What it hid stays in Hidden, to release one by one."""
        return self._accounts(target_id, list_name, accounts, adding=False, actor=actor).controls

    def add_hidden_word(self, target_id: str, word: str, *, actor: str) -> ControlChange:
        """Add a hidden word; messages already there that contain it move to Hidden."""
        cleaned = clean_hidden_word(word)
        event = ev.control_hidden_word(target_id, cleaned, adding=True, actor=actor, at=self.clock.now())
        controls = self._control(target_id, event)
        added = Controls(target_id, blocked={}, muted={}, hidden_words=(cleaned,))
        return ControlChange(controls, self._move_earlier(target_id, added, event, actor=actor))

    def remove_hidden_word(self, target_id: str, word: str, *, actor: str) -> Controls:
        if word not in self.controls(target_id).hidden_words:
            raise NotFound(f"word: {word!r} is not one of the hidden words")
        event = ev.control_hidden_word(target_id, word, adding=False, actor=actor, at=self.clock.now())
        return self._control(target_id, event)

    def change_settings(
        self,
        target_id: str,
        *,
        actor: str,
        sensitivity: Sensitivity | None = None,
        only_known: bool | None = None,
        auto_shield: bool | None = None,
    ) -> Controls:
        settings: ev.ControlSettings = {}
        if sensitivity is not None:
            settings["sensitivity"] = sensitivity.value
        if only_known is not None:
            settings["only_known"] = only_known
        if auto_shield is not None:
            settings["auto_shield"] = auto_shield
        if not settings:
            raise InvalidInput("settings: give at least one of sensitivity, only_known, auto_shield")
        described = ", ".join(f"{key} = {value}" for key, value in settings.items())
        event = ev.control_settings_changed(
            target_id, settings, actor=actor, reason=described, at=self.clock.now()
        )
        return self._control(target_id, event)

    # ------------------------------------------------------------------ inbox actions

    def release(self, target_id: str, message_id: str, *, actor: str) -> Status:
        status = self.store.status(ev.DELIVERY, ev.delivery_id(target_id, message_id))
        if status is None:
            raise NotFound(f"message_id: no message {message_id!r} for this target")
        if status.state not in (DeliveryState.HELD, DeliveryState.HIDDEN):
            raise Conflict(f"message_id: the message is {status.state}, not held or hidden")
        return self.log.append(
            ev.delivery_released(
                target_id, message_id, released_from=status.state, actor=actor, at=self.clock.now()
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
        return self.log.append(
            ev.bundle_added(
                target_id, message_ids, actor=actor, note=note, incident_id=incident_id, at=self.clock.now()
            )
        )

    def bundle(self, target_id: str) -> list[dict[str, Any]]:
        status = self.store.status(ev.BUNDLE, target_id)
        return [] if status is None else [dict(item) for item in status.data.get("items", [])]

    def report_message(
        self,
        target_id: str,
        message_id: str,
        *,
        reporter: User,
        category: str | None = None,
        claims_illegal: bool = False,
        note: str = "",
    ) -> ReportOutcome:
        """Report a message of the target's inbox to moderation, on the target's behalf; the
        category is the message's first hostile label unless given (`other` if it has none)."""
        delivery = self.store.status(ev.DELIVERY, ev.delivery_id(target_id, message_id))
        message = self.store.message(message_id)
        if delivery is None or message is None:
            raise NotFound(f"message_id: no message {message_id!r} for this target")
        return self._file_report(
            message,
            reporter,
            category=category or _detected_label(delivery),
            claims_illegal=claims_illegal,
            note=note or "reported from the safe inbox",
        )

    def _file_report(
        self,
        message: Message,
        reporter: User,
        *,
        category: str,
        claims_illegal: bool = False,
        note: str,
        idempotency_key: str | None = None,
    ) -> ReportOutcome:
        # Reporting belongs to moderation; this is protection's one way in.
        return self.reports.file_report(
            message_id=message.id,
            reporter=reporter,
            reporter_kind=reporter_kind_for(reporter, message.target_ids),
            category=category,
            claims_illegal=claims_illegal,
            note=note,
            idempotency_key=idempotency_key,
        )

    # ------------------------------------------------------------------ incident actions

    def report_incident(
        self, incident_id: str, *, reporter: User, category: str | None = None, note: str = ""
    ) -> int:
        """Report every message of an incident on the reporter's behalf; return how many were filed.

        Each report carries the label the detector gave that message (as a single report does)
        unless `category` is given. A message this reporter already reported as part of this
        incident is not filed again.
        """
        status = self.incident(incident_id)
        target_id = str(status.target_id)
        filed = 0
        for message_id in status.data.get("message_ids", []):
            message = self.store.message(message_id)
            if message is None:
                continue
            delivery = self.store.status(ev.DELIVERY, ev.delivery_id(target_id, message_id))
            try:
                self._file_report(
                    message,
                    reporter,
                    category=category or _detected_label(delivery),
                    note=note or f"part of pile-on incident {incident_id}",
                    idempotency_key=f"protection.report_all:{incident_id}:{message_id}:{reporter.id}",
                )
                filed += 1
            except DuplicateEvent:
                continue
        self.record_incident_action(
            incident_id, IncidentAction.REPORT_ALL, actor=user_actor(reporter.id), count=filed
        )
        return filed

    def block_all_senders(self, incident_id: str, *, actor: str) -> int:
        """Put every account in an incident on the target's block list; return how many were added."""
        return self.block_senders(incident_id, actor=actor)[0]

    def block_senders(self, incident_id: str, *, actor: str) -> tuple[int, ControlChange]:
        """`block_all_senders`, returning the accounts blocked and what it moved to Hidden."""
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
        change = ControlChange(controls)
        if accounts:
            change = self.add_accounts(target_id, "blocked", list(accounts.values()), actor=actor)
        self.record_incident_action(incident_id, IncidentAction.BLOCK_ALL, actor=actor, count=len(accounts))
        return len(accounts), change

    def bundle_incident(self, incident_id: str, *, actor: str) -> int:
        """Add every message of an incident to the target's evidence bundle; return how many."""
        status = self.incident(incident_id)
        ids = list(status.data.get("message_ids", []))
        self.add_to_bundle(
            str(status.target_id),
            ids,
            actor=actor,
            note=f"pile-on incident {incident_id}",
            incident_id=incident_id,
        )
        self.record_incident_action(incident_id, IncidentAction.BUNDLE_ALL, actor=actor, count=len(ids))
        return len(ids)

    def record_incident_action(
        self, incident_id: str, action: IncidentAction, *, actor: str, count: int
    ) -> None:
        """Note on the incident's timeline that someone acted on all of it (a repeat is ignored)."""
        self.log.append_many(
            [ev.incident_acted(incident_id, action, actor=actor, count=count, at=self.clock.now())]
        )


def _detected_label(delivery: Status | None) -> str:
    """The category a report takes from the inbox's verdict: the first (gravest) hostile label."""
    hostile = list(delivery.data.get("hostile", [])) if delivery is not None else []
    return str(hostile[0]) if hostile else "other"


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
