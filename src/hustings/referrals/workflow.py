"""The referral service: create, build a pack, view, export, send, update, close; list them.

`Referrals` is the service over a `ReferralStore` (SQL in `hustings.storage.referrals`, in memory
in `hustings.referrals.memory`), the event log, the clock and the vault of packs; only `Services`
builds it. Each step appends one event to the log (the status follows from the reducer), stamped
by the clock, and never commits: the route or command that called it owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hustings.auth.model import User
from hustings.clock import Clock, iso
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.events import Event, EventLog, Status
from hustings.referrals.content import EvidenceSource, PackContent, PackMessage
from hustings.referrals.hints import (
    ChecklistItem,
    OffenceHint,
    Urgency,
    assess_urgency,
    cps_checklist,
    offence_hints,
)
from hustings.referrals.model import (
    REFERRAL_CREATED,
    REFERRAL_EXPORTED,
    REFERRAL_OUTCOME,
    REFERRAL_PACK_BUILT,
    REFERRAL_SENT,
    REFERRAL_STATUS_UPDATED,
    REFERRAL_VIEWED,
    CustodyEntry,
    Outcome,
    PoliceStatus,
    ReferralState,
    chain_of_custody,
    describe_actor,
    new_referral_id,
    referral_event,
)
from hustings.referrals.pack import BuiltPack, build_pack, new_pack_id
from hustings.referrals.vault import PackVault
from hustings.targets.model import Target

MAX_MESSAGES = 200


class ReferralStore(EvidenceSource, Protocol):
    """What the referral service reads: referrals as the log holds them, and the evidence around
    messages (`EvidenceSource`)."""

    def referral(self, referral_id: str) -> Status | None: ...

    def referral_events(self, referral_id: str) -> list[Event]:
        """The referral's events, oldest first."""
        ...

    def referrals(self, *, limit: int) -> list[Status]:
        """Referrals, urgent first, then the most recently changed; at most `limit`."""
        ...

    def pack_built_events(self, pack_id: str) -> list[Event]:
        """The `referral.pack_built` events that name `pack_id` (normally one)."""
        ...

    def first_report_at(self, message_ids: Sequence[str]) -> datetime | None:
        """When the first `report.filed` on any of the messages happened, if any did."""
        ...

    def people(self) -> dict[str, User]:
        """The users an actor id can name, by user id (for the chain of custody)."""
        ...


@dataclass(frozen=True, slots=True)
class ReferralEvidence:
    """What a referral's page shows: the messages as a pack would hold them, hints and custody."""

    status: Status
    messages: list[PackMessage]
    targets: list[Target]
    hints: list[OffenceHint]
    checklist: list[ChecklistItem]
    urgency: Urgency
    custody: list[CustodyEntry]


@dataclass
class Referrals:
    """The referral workflow over its store, the event log, the clock and a vault of packs."""

    store: ReferralStore
    log: EventLog
    clock: Clock
    vault: PackVault
    organisation: str = ""
    """Who runs this installation, named beside each person in a chain of custody."""

    def custody(self, referral_id: str) -> list[CustodyEntry]:
        """The referral's chain of custody, each link naming who acted by name, role and organisation."""
        return chain_of_custody(
            self.store.referral_events(referral_id), self.store.people(), self.organisation
        )

    def get(self, referral_id: str) -> Status:
        status = self.store.referral(referral_id)
        if status is None:
            raise NotFound(f"referral_id: no referral {referral_id!r}")
        return status

    def all(self, *, limit: int = 500) -> list[Status]:
        """Referrals, urgent first, then the most recently changed."""
        return self.store.referrals(limit=limit)

    def pack_built_events(self, pack_id: str) -> list[Event]:
        """The `referral.pack_built` events that name `pack_id` (normally one): what
        `verify-pack --against-log` checks a pack's digest against."""
        return self.store.pack_built_events(pack_id)

    def rekey_packs(self) -> int:
        """Re-encrypt every stored pack under the current secret key; return how many."""
        return self.vault.rekey()

    def evidence(self, referral_id: str) -> ReferralEvidence:
        """The referral's messages in context, with hints, urgency and chain of custody, as of now."""
        status = self.get(referral_id)
        messages = self.store.pack_messages(list(status.data.get("message_ids", [])))
        targets = self.store.targets_of(messages)
        return ReferralEvidence(
            status=status,
            messages=messages,
            targets=targets,
            hints=offence_hints(messages, target_roles=[t.role.value for t in targets]),
            checklist=cps_checklist(messages),
            urgency=assess_urgency(messages),
            custody=self.custody(referral_id),
        )

    def what_is_referred(
        self,
        message_ids: Sequence[str],
        *,
        incident_id: str | None = None,
        bundle_target_id: str | None = None,
    ) -> list[str]:
        """The message ids a referral of these would hold: the messages named, then the incident's,
        then the bundle's, each once. `InvalidInput` if that is none or too many; `NotFound`
        (naming the field) for an unknown incident or an empty bundle."""
        ids = list(dict.fromkeys(m.strip() for m in message_ids if m.strip()))
        if incident_id:
            ids.extend(m for m in self.store.incident_message_ids(incident_id) if m not in ids)
        if bundle_target_id:
            ids.extend(m for m in self.store.bundle_message_ids(bundle_target_id) if m not in ids)
        if not ids:
            raise InvalidInput(
                "message_ids: nothing to refer yet: open the referral from a message, an incident or an evidence bundle"
            )
        if len(ids) > MAX_MESSAGES:
            raise InvalidInput(f"message_ids: at most {MAX_MESSAGES} messages in one referral")
        return ids

    def create(
        self,
        *,
        actor: str,
        message_ids: Sequence[str] = (),
        incident_id: str | None = None,
        bundle_target_id: str | None = None,
        force: str = "",
        unit: str = "",
        note: str = "",
    ) -> Status:
        """Open a referral for messages, an incident's messages, a target's evidence bundle, or
        any mix of them; work out whether it is urgent."""
        ids = self.what_is_referred(message_ids, incident_id=incident_id, bundle_target_id=bundle_target_id)
        messages = self.store.pack_messages(ids)
        urgency = assess_urgency(messages)
        targets = [t for m in messages for t in m.message.target_ids]
        referral_id = new_referral_id()
        self.log.append(
            referral_event(
                REFERRAL_CREATED,
                referral_id,
                actor=actor,
                at=self.clock.now(),
                key=f"{REFERRAL_CREATED}:{referral_id}",
                reason=note or "referred to police",
                payload={
                    "message_ids": ids,
                    "incident_id": incident_id,
                    "target_id": targets[0] if targets else None,
                    "force": force.strip(),
                    "unit": unit.strip(),
                    "note": note.strip(),
                    "urgent": urgency.urgent,
                    "urgent_reasons": list(urgency.reasons),
                    "first_report_at": iso(self.store.first_report_at(ids)),
                },
            )
        )
        return self.get(referral_id)

    def build_pack(self, referral_id: str, *, actor: str) -> BuiltPack:
        """Gather the evidence, build the pack, store it encrypted and log its digest."""
        at = self.clock.now()
        status = self.get(referral_id)
        messages = self.store.pack_messages(list(status.data.get("message_ids", [])))
        content = PackContent(
            referral_id=referral_id,
            pack_id=new_pack_id(),
            built_at=at,
            built_by=actor,
            built_by_who=describe_actor(actor, self.store.people(), self.organisation),
            targets=tuple(self.store.targets_of(messages)),
            messages=tuple(messages),
            force=str(status.data.get("force", "")),
            unit=str(status.data.get("unit", "")),
            crime_reference=str(status.data.get("crime_reference", "")),
            note=str(status.data.get("note", "")),
            custody=tuple(self.custody(referral_id)),
        )
        built = build_pack(content)
        # The file is written before the event: if the transaction then fails, an unreferenced
        # encrypted file is left behind, never an event that points at nothing.
        self.vault.save(built.pack_id, built.data)
        self.log.append(
            referral_event(
                REFERRAL_PACK_BUILT,
                referral_id,
                actor=actor,
                at=at,
                key=f"{REFERRAL_PACK_BUILT}:{referral_id}:{built.pack_id}",
                reason="evidence pack built",
                payload={
                    "pack_id": built.pack_id,
                    "pack_sha256": built.pack_sha256,
                    "items": len(built.manifest["items"]),
                    "filename": built.filename,
                },
            )
        )
        return built

    def pack_ids(self, referral_id: str) -> list[str]:
        return [str(p["pack_id"]) for p in self.get(referral_id).data.get("packs", [])]

    def export_pack(self, referral_id: str, pack_id: str, *, actor: str) -> tuple[bytes, str]:
        """The decrypted pack ZIP and its file name; the export is logged on the referral."""
        if pack_id not in self.pack_ids(referral_id):
            raise NotFound(f"pack_id: referral {referral_id} has no pack {pack_id!r}")
        data = self.vault.load(pack_id)
        self.log.append(
            referral_event(
                REFERRAL_EXPORTED,
                referral_id,
                actor=actor,
                at=self.clock.now(),
                payload={"what": f"pack {pack_id}"},
            )
        )
        return data, f"evidence-pack-{pack_id}.zip"

    def record_view(self, referral_id: str, *, actor: str, what: str = "referral") -> None:
        self.get(referral_id)
        self.log.append(
            referral_event(
                REFERRAL_VIEWED, referral_id, actor=actor, at=self.clock.now(), payload={"what": what}
            )
        )

    def send(self, referral_id: str, *, actor: str, force: str, unit: str = "", via: str = "") -> Status:
        """Record that the referral went to a force (and unit), and how."""
        status = self.get(referral_id)
        if status.state == ReferralState.CLOSED.value:
            raise Conflict(f"referral {referral_id} is closed")
        if not force.strip():
            raise InvalidInput("force: name the police force the referral went to")
        packs = status.data.get("packs", [])
        self.log.append(
            referral_event(
                REFERRAL_SENT,
                referral_id,
                actor=actor,
                at=self.clock.now(),
                reason=f"sent to {force.strip()}",
                payload={
                    "force": force.strip(),
                    "unit": unit.strip(),
                    "via": via.strip() or "not stated",
                    "pack_id": packs[-1]["pack_id"] if packs else None,
                },
            )
        )
        return self.get(referral_id)

    def update_status(
        self,
        referral_id: str,
        *,
        actor: str,
        police_status: str,
        crime_reference: str = "",
        note: str = "",
    ) -> Status:
        """Record what the police say: a status, the crime or incident reference, a note."""
        self.get(referral_id)
        try:
            chosen = PoliceStatus(police_status)
        except ValueError:
            allowed = ", ".join(s.value for s in PoliceStatus)
            raise InvalidInput(f"police_status: {police_status!r} is not one of {allowed}") from None
        if len(crime_reference) > 120:
            raise InvalidInput("crime_reference: at most 120 characters")
        self.log.append(
            referral_event(
                REFERRAL_STATUS_UPDATED,
                referral_id,
                actor=actor,
                at=self.clock.now(),
                reason=note,
                payload={
                    "police_status": chosen.value,
                    "crime_reference": crime_reference.strip(),
                    "note": note,
                },
            )
        )
        return self.get(referral_id)

    def record_outcome(self, referral_id: str, *, actor: str, outcome: str, note: str = "") -> Status:
        """Close the referral with its outcome."""
        status = self.get(referral_id)
        if status.state == ReferralState.CLOSED.value:
            raise Conflict(f"referral {referral_id} already has an outcome")
        try:
            chosen = Outcome(outcome)
        except ValueError:
            allowed = ", ".join(o.value for o in Outcome)
            raise InvalidInput(f"outcome: {outcome!r} is not one of {allowed}") from None
        self.log.append(
            referral_event(
                REFERRAL_OUTCOME,
                referral_id,
                actor=actor,
                at=self.clock.now(),
                key=f"{REFERRAL_OUTCOME}:{referral_id}",
                reason=note,
                payload={"outcome": chosen.value, "note": note},
            )
        )
        return self.get(referral_id)
