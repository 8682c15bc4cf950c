"""The complaints service: filing, every step of a case, the safeguards, and what is read back.

`Complaints(store, log, clock, code)` is built by `Services` as `services.complaints`. Every
change is an event (`hustings.complaints.events`); who may do what is decided here, not in the
routes. Each read is scoped to the caller's party, and every look at a case is recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import random
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from hustings.auth.model import Role
from hustings.auth.second_factor import SecretBox
from hustings.clock import Clock, parse_iso
from hustings.complaints import events as ev
from hustings.complaints.code import CodeOfConduct
from hustings.complaints.figures import JOINT, Quarter, QuarterlyFigures, quarterly_figures
from hustings.complaints.model import (
    DATA_PROTECTION_ROLES,
    Access,
    AccessRecord,
    Assessment,
    AuditView,
    BreakGlassRequired,
    Case,
    CaseState,
    Grounds,
    Handler,
    NewComplaint,
    PartyEmail,
    Recipient,
    SentMessage,
    Severity,
    TeamRole,
    TimetableLine,
    Tracking,
    Viewer,
)
from hustings.errors import Forbidden, InvalidInput, NotFound
from hustings.events import SYSTEM_ACTOR, Event, EventLog, Status, fold, user_actor
from hustings.events.model import next_event

PARTY_PREFIX = "complaint-party:"
"""How a complaint's party (who has no account) is named as the recipient of an e-mail."""
BREAK_GLASS_HOURS = 12
"""How long a reason given to open a case outside its team lets that person keep reading it."""
TEAM_ROLE_NEEDS = {
    TeamRole.CASE_OFFICER: Role.COMPLAINTS_OFFICER,
    TeamRole.INVESTIGATOR: Role.INVESTIGATOR,
    TeamRole.PANEL: Role.PANEL_MEMBER,
}


class ComplaintStore(Protocol):
    """What the complaints service reads; it writes only through the event log."""

    def status(self, subject_type: str, subject_id: str) -> Status | None: ...

    def statuses(self, subject_type: str, *, prefix: str | None = None) -> list[Status]:
        """Every status of `subject_type` (whose id starts with `prefix`, when given)."""
        ...

    def events_for(self, subject_type: str, subject_id: str) -> list[Event]: ...

    def events_of(self, subject_types: Collection[str]) -> list[Event]:
        """Every event on subjects of these types, in log order."""
        ...

    def case_key(self, reference: str) -> str | None:
        """The case's own key, sealed under the service secret; None once erased."""
        ...

    def keep_case_key(self, reference: str, sealed: str, at: datetime) -> None: ...

    def erase_case_key(self, reference: str) -> None:
        """Destroy the case's key: its personal data in the log can never be read again."""
        ...

    def case_keys(self) -> dict[str, str]:
        """Every case key, sealed, by reference."""
        ...

    def replace_case_key(self, reference: str, sealed: str) -> None:
        """The same key, sealed again (under the current service secret)."""
        ...

    def replace_event(self, event: Event) -> None:
        """Rewrite the logged event with `event`'s idempotency key: its reason and payload become
        `event`'s. Only for sealing what was logged in the clear (`Complaints.seal_legacy`)."""
        ...

    def replace_status(self, status: Status) -> None:
        """Overwrite a subject's status (rebuilt from its rewritten events)."""
        ...


def new_reference() -> str:
    return "C-" + secrets.token_hex(4).upper()


class Complaints:
    def __init__(
        self,
        store: ComplaintStore,
        log: EventLog,
        clock: Clock,
        code: CodeOfConduct,
        box: SecretBox,
        *,
        survey_secret: str,
        roles_of: Callable[[str], frozenset[Role]] = lambda _: frozenset(),
        references: Callable[[], str] = new_reference,
        access_ids: Callable[[], str] = lambda: secrets.token_hex(8),
        mail_party: Callable[[PartyEmail], bool] | None = None,
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.code = code
        self.box = box
        """Seals each case's own key (and the characteristic kept for the figures after erasure)."""
        self._survey_key = hashlib.sha256(b"hustings complaints survey v1:" + survey_secret.encode()).digest()
        self._track_key = hashlib.sha256(
            b"hustings complaints tracking v1:" + survey_secret.encode()
        ).digest()
        self.mail_party = mail_party
        """Queues a communication for e-mail (the notifications outbox); None: no e-mail configured.
        Returns whether it was queued."""
        self.roles_of = roles_of
        """A user's roles (from the accounts), to check a joint panel seat goes to a panel member."""
        self.references = references
        self.access_ids = access_ids

    # ------------------------------------------------------------ who is acting

    def handler(self, user_id: str) -> Handler | None:
        status = self.store.status(ev.HANDLER, user_id)
        return None if status is None else ev.handler_from_status(status)

    def viewer(self, user_id: str, roles: Collection[Role]) -> Viewer:
        handler = self.handler(user_id)
        return Viewer(
            user_id=user_id,
            roles=frozenset(roles),
            party=None if handler is None else handler.party,
            joint_panel=handler is not None and handler.joint_panel,
        )

    def handlers(self, party: str | None) -> list[Handler]:
        found = [ev.handler_from_status(s) for s in self.store.statuses(ev.HANDLER)]
        return sorted((h for h in found if h.party == party), key=lambda h: h.user_id)

    def enrol(self, user_id: str, party: str, *, by: Viewer) -> Handler:
        """Put a user in a party's complaints team: an admin for any party, a party admin for theirs."""
        self.code.party(party)
        if Role.ADMIN not in by.roles and not (Role.PARTY_ADMIN in by.roles and by.party == party):
            raise Forbidden("party: only an admin, or that party's own party admin, enrols its team")
        status = self.store.status(ev.HANDLER, user_id)
        self.log.append(
            ev.handler_enrolled(
                user_id,
                party,
                actor=user_actor(by.user_id),
                at=self.clock.now(),
                count=status.event_count if status else 0,
            )
        )
        handler = self.handler(user_id)
        assert handler is not None
        return handler

    def declare_conflict(
        self, viewer: Viewer, *, case: str | None = None, member: str | None = None, note: str
    ) -> Handler:
        """A handler declares a conflict of interest: with one case, or with a member wherever they are the respondent."""
        status = self.store.status(ev.HANDLER, viewer.user_id)
        if status is None:
            raise Forbidden("you are in no party's complaints team; a party admin enrols you first")
        if not (case or member):
            raise InvalidInput("case: name the case or the member the conflict is with")
        if not note.strip():
            raise InvalidInput(
                "note: say what the conflict is (a relationship, a factional role, the same local party...)"
            )
        self.log.append(
            ev.conflict_declared(
                viewer.user_id,
                case=case or None,
                member=member or None,
                note=note.strip(),
                actor=user_actor(viewer.user_id),
                at=self.clock.now(),
                count=status.event_count,
            )
        )
        handler = self.handler(viewer.user_id)
        assert handler is not None
        return handler

    # ------------------------------------------------------------ filing

    def file(self, complaint: NewComplaint, *, actor: str) -> Case:
        self.code.party(complaint.party)
        category = self.code.category(complaint.category)
        if category.needs_characteristic:
            if complaint.characteristic not in self.code.protected_characteristics:
                raise InvalidInput(
                    "characteristic: a complaint of discrimination names the protected characteristic"
                )
        elif complaint.characteristic:
            raise InvalidInput(
                "characteristic: only a complaint of discrimination names a protected characteristic"
            )
        if not complaint.what.strip():
            raise InvalidInput("what: say what happened")
        limits = {str(state): stage.limit_days for state, stage in self.code.stages.items()}
        reference = self.references()
        case_key = secrets.token_urlsafe(32)
        now = self.clock.now()
        self.store.keep_case_key(reference, self.box.seal(case_key), now)
        status = self.log.append(
            ev.complaint_filed(
                reference,
                complaint,
                code_version=self.code.version,
                limits=limits,
                communication_days=self.code.communication_days,
                personal=SecretBox(case_key).seal(json.dumps(ev.personal_fields(complaint))),
                actor=actor,
                at=now,
            )
        )
        return self._to_case(status)

    # ------------------------------------------------------------ sealed personal data

    def _case_box(self, reference: str) -> SecretBox | None:
        sealed = self.store.case_key(reference)
        return None if sealed is None else SecretBox(self.box.open(sealed))

    def _to_case(self, status: Status) -> Case:
        box = None if "personal" not in status.data else self._case_box(status.subject_id)
        personal = None if box is None else json.loads(box.open(status.data["personal"]))
        return ev.case_from_status(status, personal, None if box is None else box.open)

    def _seal_text(self, case: Case, text: str) -> str:
        box = self._case_box(case.reference)
        if box is None:
            raise InvalidInput(
                f"case {case.reference}: its personal data are erased; nothing more is written"
            )
        return box.seal(text)

    def _seal_words(self, case: Case, reason: str, payload: dict[str, Any]) -> str:
        """Seal the step's free texts (its reason, `ev.WORDS` in `payload`) with the case's key,
        into ``payload[ev.SEALED_WORDS]``; returns the reason the event keeps in the clear ("").
        A case filed before per-case keys (no key, not erased) keeps them in the clear like its
        other fields, until `seal_legacy` seals them all."""
        words = {"reason": reason} if reason else {}
        if not any(payload.get(name) for name in ev.WORDS) and not words:
            return reason
        box = self._case_box(case.reference)
        if box is None and not case.erased:
            return reason
        words |= {name: payload.pop(name) for name in ev.WORDS if payload.get(name)}
        payload[ev.SEALED_WORDS] = {name: self._seal_text(case, text) for name, text in words.items()}
        return ""

    def _opened(self, event: Event, box: SecretBox | None) -> Event:
        """The event as a reader sees it: its sealed texts opened with the case's key, or erased."""
        if "sealed_text" not in event.payload and ev.SEALED_WORDS not in event.payload:
            return event
        payload = {k: v for k, v in event.payload.items() if k not in ("sealed_text", ev.SEALED_WORDS)}
        if "sealed_text" in event.payload:
            payload["text"] = ev.ERASED_TEXT if box is None else box.open(event.payload["sealed_text"])
        words = {
            name: ev.ERASED_TEXT if box is None else box.open(sealed)
            for name, sealed in event.payload.get(ev.SEALED_WORDS, {}).items()
        }
        reason = words.pop("reason", event.reason)
        return dataclasses.replace(event, reason=reason, payload=payload | words)

    # ------------------------------------------------------------ reading

    @staticmethod
    def _reaches(status: Status, viewer: Viewer) -> bool:
        """Each party reaches only its own cases; a joint panel member also those referred to the panel."""
        own = viewer.party is not None and status.data["party"] == viewer.party
        return own or (viewer.joint_panel and bool(status.data.get("joint")))

    def _case(self, reference: str, viewer: Viewer) -> Case:
        status = self.store.status(ev.COMPLAINT, reference)
        if status is None or not self._reaches(status, viewer):
            raise NotFound(f"complaint {reference!r} not found")
        return self._to_case(status)

    def cases(self, viewer: Viewer) -> list[Case]:
        """The party's cases, newest first: reference, category, stage and due date, for the list.
        Their personal data are not opened (they read as erased): opening one is `open`, and is recorded."""
        if viewer.party is None:
            return []
        found = [
            ev.case_from_status(s)
            for s in self.store.statuses(ev.COMPLAINT)
            if s.data["party"] == viewer.party
        ]
        return sorted(found, key=lambda c: c.received_at, reverse=True)

    def joint_cases(self, viewer: Viewer) -> list[Case]:
        """The cases of every party referred to the joint panel: all a joint panel member sees of
        another party's cases (oversight sees its own party's referred cases)."""
        found = [
            ev.case_from_status(s)
            for s in self.store.statuses(ev.COMPLAINT)
            if s.data.get("joint")
            and (viewer.joint_panel or (viewer.oversight and s.data["party"] == viewer.party))
        ]
        return sorted(found, key=lambda c: c.received_at, reverse=True)

    def may_open(self, case: Case, viewer: Viewer) -> bool:
        """Without a reason: the case team, oversight, and the party's complaints officers while a
        case is still waiting for one of them to acknowledge it."""
        if case.on_team(viewer.user_id) or (viewer.oversight and viewer.party == case.party):
            return True
        return case.state is CaseState.RECEIVED and Role.COMPLAINTS_OFFICER in viewer.roles

    def _glass_open(self, case: Case, viewer: Viewer) -> bool:
        since = self.clock.now() - timedelta(hours=BREAK_GLASS_HOURS)
        return any(
            record.user_id == viewer.user_id and record.break_glass_reason and record.at >= since
            for record in self.accesses(case.reference)
        )

    def open(self, reference: str, viewer: Viewer, *, reason: str = "", action: Access = Access.VIEW) -> Case:
        """The case, for `viewer`; recorded. Anyone outside the case team (but oversight) gives a
        reason, or has given one in the last hours; otherwise `BreakGlassRequired`."""
        case = self._case(reference, viewer)
        reason = reason.strip()
        allowed = self.may_open(case, viewer)
        if not allowed and not reason and not self._glass_open(case, viewer):
            raise BreakGlassRequired(
                f"you are not on the team of case {reference}: give a reason to open it; it will be recorded"
                " and oversight will see it"
            )
        self._record(case, viewer, action, reason="" if allowed else reason)
        if not case.on_team(viewer.user_id):
            # special-category data (the protected characteristic, health details): the case team only
            case = dataclasses.replace(
                case,
                complaint=dataclasses.replace(case.complaint, characteristic=None, health=""),
                special_hidden=True,
            )
        return case

    def _record(
        self, case: Case, viewer: Viewer, action: Access, *, reason: str, actor: str | None = None
    ) -> None:
        record = AccessRecord(
            case=case.reference,
            party=case.party,
            user_id=viewer.user_id,
            action=action,
            at=self.clock.now(),
            on_team=case.on_team(viewer.user_id),
            break_glass_reason=reason,
        )
        self.log.append(
            ev.access_recorded(record, access_id=self.access_ids(), actor=actor or user_actor(viewer.user_id))
        )

    def accesses(self, reference: str) -> list[AccessRecord]:
        found = [ev.access_from_status(s) for s in self.store.statuses(ev.ACCESS, prefix=f"{reference}/")]
        return sorted(found, key=lambda r: r.at)

    def history(self, case: Case) -> list[Event]:
        """The case's every event, in order (what an export carries), sealed texts opened (or erased)."""
        box = self._case_box(case.reference)
        return [self._opened(e, box) for e in self.store.events_for(ev.COMPLAINT, case.reference)]

    def export(self, reference: str, viewer: Viewer, *, reason: str = "") -> tuple[Case, list[Event]]:
        case = self.open(reference, viewer, reason=reason, action=Access.EXPORT)
        return case, self.history(case)

    def export_json(self, reference: str, viewer: Viewer, *, reason: str = "") -> dict[str, Any]:
        """The case's full history as JSON (recorded in the access log as an export)."""
        case, events = self.export(reference, viewer, reason=reason)
        return {
            "reference": case.reference,
            "party": case.party,
            "state": str(case.state),
            "code_version": case.code_version,
            "case": case_json(case),
            "history": [event_json(e) for e in events],
            "accesses": [
                {
                    "user_id": r.user_id,
                    "action": str(r.action),
                    "at": r.at.isoformat(),
                    "on_team": r.on_team,
                    "break_glass_reason": r.break_glass_reason,
                }
                for r in self.accesses(case.reference)
            ],
        }

    def oversight_report(self, viewer: Viewer) -> list[AccessRecord]:
        """Who outside the case team looked at what, in the viewer's party: for oversight only."""
        if not viewer.oversight or viewer.party is None:
            raise Forbidden("the access report is for the party's oversight role")
        found = [ev.access_from_status(s) for s in self.store.statuses(ev.ACCESS)]
        return sorted(
            (r for r in found if r.party == viewer.party and not r.on_team and r.user_id != viewer.user_id),
            key=lambda r: r.at,
            reverse=True,
        )

    # ------------------------------------------------------------ steps

    def _step(
        self,
        case: Case,
        viewer: Viewer,
        kind: str,
        *,
        reason: str = "",
        grounds: Grounds | None = None,
        **payload: Any,
    ) -> Case:
        ev.next_state(case.state, kind, payload)  # refuses an illegal step before anything is written
        if kind in ev.DECISIONS:
            if grounds is None or not grounds.reason.strip():
                raise InvalidInput("reason: every decision gives its reasons")
            self.code.check_clauses(grounds.clauses)
            if not grounds.evidence.strip():
                raise InvalidInput("evidence: say what evidence the decision relies on")
            reason = grounds.reason
            payload.update(clauses=list(grounds.clauses), evidence=grounds.evidence.strip())
        reason = self._seal_words(case, reason.strip(), payload)
        status = self.log.append(
            ev.case_step(
                kind,
                case,
                actor=user_actor(viewer.user_id),
                at=self.clock.now(),
                reason=reason,
                **payload,
            )
        )
        if case.state is not CaseState.CLOSED and status.state == CaseState.CLOSED:
            status = self._send_surveys(status)
        return self._to_case(status)

    def _send_surveys(self, status: Status) -> Status:
        """At closure, the confidence survey goes to each party who can be reached (the link is
        `survey_link`; Hustings records that it is due, the team sends it)."""
        for recipient in sorted(ev.reachable(status.data)):
            status = self.log.append(
                next_event(
                    ev.SURVEY_SENT,
                    ev.COMPLAINT,
                    status.subject_id,
                    actor=SYSTEM_ACTOR,
                    at=self.clock.now(),
                    count=status.event_count,
                    payload={"to": str(recipient)},
                )
            )
        return status

    def _team_case(self, reference: str, viewer: Viewer) -> Case:
        case = self._case(reference, viewer)
        if not case.on_team(viewer.user_id):
            raise Forbidden(f"only the team of case {reference} takes steps on it")
        return case

    def acknowledge(self, reference: str, viewer: Viewer, *, reason: str = "") -> Case:
        """A complaints officer of the party acknowledges the case and becomes its case officer."""
        if Role.COMPLAINTS_OFFICER not in viewer.roles:
            raise Forbidden("a complaints officer acknowledges a complaint")
        case = self._case(reference, viewer)
        self._check_handler(case, viewer.user_id)
        return self._step(case, viewer, ev.ACKNOWLEDGED, reason=reason, officer=viewer.user_id)

    def assess(self, reference: str, viewer: Viewer, assessment: Assessment, grounds: Grounds) -> Case:
        return self._step(
            self._team_case(reference, viewer),
            viewer,
            ev.ASSESSED,
            grounds=grounds,
            assessment=str(assessment),
        )

    def _check_handler(self, case: Case, user_id: str, *, panel: bool = False) -> Handler:
        handler = self.handler(user_id)
        if panel and case.joint:
            if handler is None or not handler.joint_panel:
                raise InvalidInput(f"panel: {user_id!r} does not sit on the joint panel")
        elif handler is None or handler.party != case.party:
            raise InvalidInput(f"handler: {user_id!r} is not in this party's complaints team")
        conflict = handler.conflicted(case)
        if conflict is not None:
            raise InvalidInput(
                f"handler: {user_id!r} has declared a conflict of interest here ({conflict.note})"
            )
        for objection in case.objections:
            if objection.handler == user_id and objection.upheld:
                raise InvalidInput(f"handler: an objection to {user_id!r} on this case was upheld")
        return handler

    def assign(
        self, reference: str, viewer: Viewer, handler_id: str, role: TeamRole, *, reason: str = ""
    ) -> Case:
        """Put a handler on the case team; refused where they declared a conflict or an objection to them was upheld."""
        case = self._team_case(reference, viewer)
        self._check_handler(case, handler_id)
        return self._step(case, viewer, ev.ASSIGNED, reason=reason, handler=handler_id, role=str(role))

    def object(self, reference: str, viewer: Viewer, handler_id: str, by: Recipient, *, reason: str) -> Case:
        """Record a party's objection to a named handler (as the case team received it)."""
        case = self._team_case(reference, viewer)
        if not reason.strip():
            raise InvalidInput("reason: say why the party objects")
        if handler_id not in case.team:
            raise InvalidInput(f"handler: {handler_id!r} is not on this case")
        return self._step(case, viewer, ev.OBJECTION_RAISED, reason=reason, handler=handler_id, by=str(by))

    def decide_objection(
        self, reference: str, viewer: Viewer, handler_id: str, *, upheld: bool, reason: str
    ) -> Case:
        case = self._team_case(reference, viewer)
        if handler_id == viewer.user_id:
            raise Forbidden("an objection to you is decided by someone else")
        if not any(o.handler == handler_id and o.upheld is None for o in case.objections):
            raise InvalidInput(f"handler: no open objection to {handler_id!r}")
        if not reason.strip():
            raise InvalidInput("reason: say why the objection is upheld or rejected")
        return self._step(
            case, viewer, ev.OBJECTION_DECIDED, reason=reason, handler=handler_id, upheld=upheld
        )

    def charge(self, reference: str, viewer: Viewer, grounds: Grounds) -> Case:
        return self._step(self._team_case(reference, viewer), viewer, ev.CHARGED, grounds=grounds)

    def open_hearing(self, reference: str, viewer: Viewer, panel: Sequence[str], *, reason: str = "") -> Case:
        case = self._team_case(reference, viewer)
        if not panel:
            raise InvalidInput("panel: name the panel members")
        parties = {self._check_handler(case, member, panel=True).party for member in panel}
        if case.joint and len(parties) < 2:
            raise InvalidInput("panel: a joint panel has members from at least two parties")
        return self._step(case, viewer, ev.HEARING_OPENED, reason=reason, panel=list(panel))

    def decide(
        self,
        reference: str,
        viewer: Viewer,
        grounds: Grounds,
        *,
        proved: bool,
        sanction: str | None,
        severity: Severity | None = None,
        departure: str = "",
    ) -> Case:
        """The panel's decision. A proved charge takes a severity and a sanction; a sanction
        outside the guidance for the category and severity needs the reason for departing from it."""
        case = self._team_case(reference, viewer)
        if case.team.get(viewer.user_id) is not TeamRole.PANEL:
            raise Forbidden("the panel decides the case")
        guided: tuple[str, ...] = ()
        if proved:
            self.code.check_sanction(sanction or "")
            if severity is None:
                raise InvalidInput("severity: a proved charge is judged low, medium or high")
            guided = self.code.guided_sanctions(case.category, severity)
            if sanction not in guided and not departure.strip():
                raise InvalidInput(
                    f"departure: {sanction} is outside the guidance for a {severity} case of "
                    f"{case.category} ({', '.join(guided)}): give the reason for departing from it"
                )
        elif sanction:
            raise InvalidInput("sanction: a charge not proved carries no sanction")
        return self._step(
            case,
            viewer,
            ev.DECIDED,
            grounds=grounds,
            sanction=sanction if proved else None,
            outcome="proved" if proved else "not proved",
            severity=str(severity) if proved and severity else None,
            guided=list(guided),
            departure=departure.strip() if proved and sanction not in guided else "",
        )

    def past_sanctions(self, case: Case) -> dict[str, int]:
        """The sanctions set in the party's other decided cases of the same category: what a
        panel sees beside the guidance, so that like cases are treated alike."""
        counts: dict[str, int] = {}
        for status in self.store.statuses(ev.COMPLAINT):
            data = status.data
            if (
                status.subject_id != case.reference
                and data["party"] == case.party
                and data["category"] == case.category
                and data["sanction"]
            ):
                counts[data["sanction"]] = counts.get(data["sanction"], 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def appeal(self, reference: str, viewer: Viewer, by: Recipient, *, reason: str) -> Case:
        return self._step(self._team_case(reference, viewer), viewer, ev.APPEALED, reason=reason, by=str(by))

    def decide_appeal(
        self, reference: str, viewer: Viewer, grounds: Grounds, *, upheld: bool, sanction: str | None
    ) -> Case:
        """Upheld: the appeal succeeds (with the sanction it substitutes, if any); dismissed: the decision stands."""
        case = self._team_case(reference, viewer)
        if sanction:
            self.code.check_sanction(sanction)
        return self._step(
            case,
            viewer,
            ev.APPEAL_DECIDED,
            grounds=grounds,
            sanction=sanction or None,
            outcome="appeal upheld" if upheld else "appeal dismissed",
        )

    def close(self, reference: str, viewer: Viewer, grounds: Grounds, *, outcome: str) -> Case:
        return self._step(
            self._team_case(reference, viewer), viewer, ev.CLOSED, grounds=grounds, outcome=outcome
        )

    def communicate(self, reference: str, viewer: Viewer, to: Recipient, text: str) -> Case:
        """Log what was sent to a party, word for word."""
        case = self._team_case(reference, viewer)
        if not text.strip():
            raise InvalidInput("text: the words sent to the party")
        if case.erased:
            raise InvalidInput(
                f"case {case.reference}: its personal data are erased; nobody can be written to"
            )
        if to is Recipient.RESPONDENT and case.complaint.respondent_member is None:
            raise InvalidInput("to: the respondent is unknown")
        if to is Recipient.COMPLAINANT and case.complaint.complainant is None:
            raise InvalidInput("to: the complaint is anonymous")
        told = self._step(
            case, viewer, ev.COMMUNICATED, to=str(to), sealed_text=self._seal_text(case, text.strip())
        )
        if self.mail_party is not None and self.emails(case, to):
            self.mail_party(
                PartyEmail(
                    recipient_id=party_recipient_id(case.reference, to),
                    cause_key=f"{ev.COMMUNICATED}:{case.reference}:{case.event_count}",
                    title=f"The complaints team has written to you about complaint {case.reference}",
                )
            )
        return told

    def emails(self, case: Case, to: Recipient) -> bool:
        """Whether a communication to `to` also goes by e-mail: e-mail is configured and the party
        gave an address (only a named complainant can; a respondent is known by number)."""
        who = case.complaint.complainant
        return (
            self.mail_party is not None
            and to is Recipient.COMPLAINANT
            and who is not None
            and bool(who.email.strip())
        )

    def _party(self, recipient_id: str) -> tuple[Case, Recipient] | None:
        reference, _, who = recipient_id.removeprefix(PARTY_PREFIX).rpartition(":")
        status = self.store.status(ev.COMPLAINT, reference)
        if status is None or who not in set(Recipient):
            return None
        return self._to_case(status), Recipient(who)

    def party_address(self, recipient_id: str) -> str:
        """The e-mail address of the party `recipient_id` names, opened with the case's key at
        sending time ("" once erased, or for a party with none)."""
        found = self._party(recipient_id)
        if found is None or found[1] is not Recipient.COMPLAINANT:
            return ""
        complainant = found[0].complaint.complainant
        return "" if complainant is None else complainant.email.strip()

    def party_link(self, recipient_id: str) -> str:
        """The tracking link of the party `recipient_id` names, made when the e-mail is sent (it is
        the party's credential, so the outbox does not keep it); "" for none."""
        found = self._party(recipient_id)
        return "" if found is None else self.track_link(*found) or ""

    # ------------------------------------------------------------ the party's tracking page

    def _track_mac(self, reference: str, recipient: Recipient) -> str:
        message = f"{reference}:{recipient}".encode()
        return hmac.new(self._track_key, message, hashlib.sha256).hexdigest()[:32]

    def track_link(self, case: Case, recipient: Recipient) -> str | None:
        """The party's tracking link, valid for the life of the case (None: a party who cannot be
        told, anonymous or unknown)."""
        if recipient not in case.reachable:
            return None
        return f"/complaints/track/{case.reference}.{recipient}.{self._track_mac(case.reference, recipient)}"

    def track(self, token: str) -> Tracking:
        """What the party a tracking token was made for sees, recorded in the case's access log;
        NotFound for a forged or unknown token."""
        status, recipient = self._signed_link(token, self._track_mac, "tracking")
        case = self._to_case(status)
        if recipient not in case.reachable:
            raise NotFound("tracking: this link is not valid")
        party = Viewer(str(recipient), frozenset(), None)
        self._record(case, party, Access.PARTY_VIEW, reason="", actor=f"party:{recipient}")
        stage = self.code.stages[case.state]
        box = self._case_box(case.reference)
        messages = (
            ()
            if case.erased or box is None
            else tuple(
                SentMessage(at=e.occurred_at, text=box.open(e.payload["sealed_text"]))
                for e in self.store.events_for(ev.COMPLAINT, case.reference)
                if e.kind == ev.COMMUNICATED and e.payload["to"] == recipient and "sealed_text" in e.payload
            )
        )
        return Tracking(
            reference=case.reference,
            recipient=recipient,
            stage=stage.plain,
            next=stage.next,
            by=case.due_at,
            closed=case.state is CaseState.CLOSED,
            erased=case.erased or box is None,
            messages=messages,
        )

    def comment(self, reference: str, viewer: Viewer, text: str, *, reason: str = "") -> Case:
        case = self.open(reference, viewer, reason=reason, action=Access.COMMENT)
        if not text.strip():
            raise InvalidInput("text: the comment")
        return self._step(case, viewer, ev.COMMENTED, sealed_text=self._seal_text(case, text.strip()))

    # ------------------------------------------------------------ the indicative timetable

    def timetable(self, case: Case) -> list[TimetableLine]:
        """What each party is to be told: the stage, what comes next and by when; a party not told
        within the limit since the stage began shows as a breach."""
        stage = self.code.stages[case.state]
        now = self.clock.now()
        lines = []
        for recipient in Recipient:
            reachable = recipient in case.reachable
            last = case.told.get(recipient)
            told_this_stage = last is not None and last >= case.stage_entered_at
            tell_by = (
                None
                if told_this_stage or not reachable
                else case.stage_entered_at + self.code.communication_limit
            )
            lines.append(
                TimetableLine(
                    recipient=recipient,
                    stage=stage.plain,
                    next=stage.next,
                    by=case.due_at,
                    last_told=last,
                    tell_by=tell_by,
                    breach=tell_by is not None and now > tell_by,
                    reachable=reachable,
                )
            )
        return lines

    def plain_words(self, case: Case) -> str:
        """A default message telling a party where the case is, for the officer to send or edit."""
        stage = self.code.stages[case.state]
        by = f" We expect this by {case.due_at:%d %B %Y}." if case.due_at else ""
        return f"Your complaint {case.reference}: {stage.plain} {stage.next}{by}"

    # ------------------------------------------------------------ figures

    def quarterly(self, viewer: Viewer, quarter: Quarter, *, joint: bool = False) -> QuarterlyFigures:
        """The viewer's party's figures for the quarter, from the event log only; `joint`: the
        joint panel's, over every party's referred cases (for its members and oversight)."""
        if joint:
            if not (viewer.joint_panel or viewer.oversight):
                raise Forbidden("the joint panel's figures are for its members and oversight")
        elif viewer.party is None:
            raise Forbidden("you are in no party's complaints team")
        statuses = self.store.statuses(ev.COMPLAINT)
        return quarterly_figures(
            self.store.events_of((ev.COMPLAINT, ev.ACCESS)),
            JOINT if joint else viewer.party or "",
            quarter,
            characteristics=self._characteristics(statuses),
            now=self.clock.now(),
        )

    def _characteristics(self, statuses: Sequence[Status]) -> dict[str, str | None]:
        """Each case's protected characteristic, for the figures: opened with the case's key, or,
        once erased, the one its erasure kept (sealed under the service secret)."""
        found: dict[str, str | None] = {}
        for status in statuses:
            if status.data.get("erased"):
                kept = status.data.get("kept_characteristic")
                found[status.subject_id] = None if kept is None else self.box.open(kept)
            else:
                found[status.subject_id] = self._to_case(status).complaint.characteristic
        return found

    # ------------------------------------------------------------ the joint panel

    def enrol_joint(self, user_id: str, *, by: Viewer) -> Handler:
        """Seat a party's handler on the joint panel: an admin, or the party admin of their party."""
        handler = self.handler(user_id)
        if handler is None:
            raise InvalidInput(f"user_id: {user_id!r} is in no party's complaints team; enrol them first")
        if Role.ADMIN not in by.roles and not (Role.PARTY_ADMIN in by.roles and by.party == handler.party):
            raise Forbidden(
                "only an admin, or their own party's party admin, seats a member on the joint panel"
            )
        if Role.PANEL_MEMBER not in self.roles_of(user_id):
            raise InvalidInput(f"user_id: {user_id!r} is not a panel member")
        status = self.store.status(ev.HANDLER, user_id)
        assert status is not None
        self.log.append(
            ev.joint_enrolled(
                user_id, actor=user_actor(by.user_id), at=self.clock.now(), count=status.event_count
            )
        )
        seated = self.handler(user_id)
        assert seated is not None
        return seated

    def refer_joint(self, reference: str, viewer: Viewer, *, reason: str) -> Case:
        """Refer a case under the joint election code to the joint panel, which will hear it."""
        case = self._team_case(reference, viewer)
        if not self.code.category(case.category).joint:
            raise InvalidInput(f"category: {case.category} is not under the joint election code")
        if case.joint:
            raise InvalidInput("the case is already referred to the joint panel")
        if case.state not in (CaseState.INVESTIGATION, CaseState.CHARGED):
            raise InvalidInput(
                f"a case is referred once under investigation or charged; this one is {case.state}"
            )
        if not reason.strip():
            raise InvalidInput("reason: say why the case goes to the joint panel")
        return self._step(case, viewer, ev.REFERRED_JOINT, reason=reason)

    # ------------------------------------------------------------ the confidence survey

    def _survey_mac(self, reference: str, recipient: Recipient) -> str:
        message = f"{reference}:{recipient}".encode()
        return hmac.new(self._survey_key, message, hashlib.sha256).hexdigest()[:32]

    def survey_link(self, case: Case, recipient: Recipient) -> str | None:
        """The one-time survey link for a party, once it is due (None before closure or after an answer)."""
        if case.surveys.get(recipient) is not False:
            return None
        return (
            f"/complaints/survey/{case.reference}.{recipient}.{self._survey_mac(case.reference, recipient)}"
        )

    def _signed_link(
        self, token: str, mac_of: Callable[[str, Recipient], str], what: str
    ) -> tuple[Status, Recipient]:
        """The case status and party of a link token `reference.party.mac` signed by `mac_of`;
        NotFound (naming `what` the link was for) for a forged, malformed or unknown one."""
        reference, _, rest = token.partition(".")
        who, _, mac = rest.partition(".")
        status = self.store.status(ev.COMPLAINT, reference)
        try:
            recipient = Recipient(who)
        except ValueError:
            raise NotFound(f"{what}: this link is not valid") from None
        if status is None or not hmac.compare_digest(mac, mac_of(reference, recipient)):
            raise NotFound(f"{what}: this link is not valid")
        return status, recipient

    def survey_case(self, token: str) -> tuple[Case, Recipient]:
        """The case and party a survey token was sent for; NotFound for a forged, used or unknown one."""
        status, recipient = self._signed_link(token, self._survey_mac, "survey")
        case = ev.case_from_status(status)
        if recipient not in case.surveys:
            raise NotFound("survey: this link is not valid")
        if case.surveys[recipient]:
            raise NotFound("survey: this link has been used; thank you for answering")
        return case, recipient

    def answer_survey(self, token: str, answers: Mapping[str, int]) -> None:
        """Store a party's answers (1 to 5 to each question) as an event; the link then stops working."""
        case, recipient = self.survey_case(token)
        scores: dict[str, int] = {}
        for question in self.code.survey:
            score = answers.get(question.id)
            if score is None or not 1 <= score <= 5:
                raise InvalidInput(f"{question.id}: answer from 1 to 5")
            scores[question.id] = score
        self.log.append(
            next_event(
                ev.SURVEY_ANSWERED,
                ev.COMPLAINT,
                case.reference,
                actor=SYSTEM_ACTOR,
                at=self.clock.now(),
                count=case.event_count,
                payload={"by": str(recipient), "scores": scores},
            )
        )

    # ------------------------------------------------------------ audit

    def audit_sample(self, viewer: Viewer, quarter: Quarter) -> list[Case]:
        """The party's cases received in the quarter drawn for the independent reviewers: seeded by
        party and quarter, so the same sample is drawn every time."""
        if not viewer.oversight or viewer.party is None:
            raise Forbidden("the audit sample is for the party's oversight role")
        received = sorted(
            s.subject_id
            for s in self.store.statuses(ev.COMPLAINT)
            if s.data["party"] == viewer.party
            and (moment := parse_iso(s.data["received_at"]))
            and moment in quarter
        )
        drawn = random.Random(f"{viewer.party}/{quarter}").sample(
            received, min(self.code.audit.sample_size, len(received))
        )
        found = [self.store.status(ev.COMPLAINT, reference) for reference in sorted(drawn)]
        # the reviewers' own notes are shown beside the sample; the personal fields are not opened
        boxes = {s.subject_id: self._case_box(s.subject_id) for s in found if s is not None}
        return [
            ev.case_from_status(s, None, None if (box := boxes[s.subject_id]) is None else box.open)
            for s in found
            if s is not None
        ]

    def record_finding(
        self, reference: str, viewer: Viewer, quarter: Quarter, view: AuditView, note: str
    ) -> Case:
        """An independent reviewer's finding on a case of the quarter's sample."""
        if reference not in {c.reference for c in self.audit_sample(viewer, quarter)}:
            raise InvalidInput(f"case: {reference} is not in the audit sample for {quarter}")
        if not note.strip():
            raise InvalidInput("note: say what the review found")
        case = self.open(reference, viewer, action=Access.COMMENT)
        return self._step(case, viewer, ev.AUDIT_FINDING, reason=note, quarter=str(quarter), view=str(view))

    # ------------------------------------------------------------ retention and subject access

    def retention_due(self, case: Case) -> datetime | None:
        if case.state is not CaseState.CLOSED or case.erased:
            return None
        outcome = case.outcome or (
            "no further action" if case.assessment is Assessment.NO_FURTHER_ACTION else "closed"
        )
        return case.stage_entered_at + self.code.retention_for(outcome)

    def sweep_retention(self) -> list[str]:
        """Erase the personal data of every closed case past its retention period: the case's key
        is destroyed (crypto-erasure) and a `complaint.erased` event says so; the figures stay."""
        erased = []
        now = self.clock.now()
        for status in sorted(self.store.statuses(ev.COMPLAINT), key=lambda s: s.subject_id):
            case = self._to_case(status)
            due = self.retention_due(case)
            if due is None or now < due:
                continue
            characteristic = case.complaint.characteristic
            self.log.append(
                next_event(
                    ev.ERASED,
                    ev.COMPLAINT,
                    case.reference,
                    actor=SYSTEM_ACTOR,
                    at=now,
                    count=case.event_count,
                    payload={
                        "retention_days": (due - case.stage_entered_at).days,
                        "kept_characteristic": None
                        if characteristic is None
                        else self.box.seal(characteristic),
                    },
                    reason=f"retention period after '{case.outcome or 'closing'}' ended",
                )
            )
            self.store.erase_case_key(case.reference)
            erased.append(case.reference)
        return erased

    def reseal_keys(self) -> int:
        """Seal every case key under the current service secret (after a rotation, before the old
        secret is retired); returns how many."""
        keys = self.store.case_keys()
        for reference, sealed in sorted(keys.items()):
            self.store.replace_case_key(reference, self.box.reseal(sealed))
        return len(keys)

    def seal_legacy(
        self, progress: Callable[[str, int], None] = lambda _reference, _count: None
    ) -> LegacySealing:
        """Seal, in place, what older cases hold in the clear: the personal fields of a case filed
        before each case had its own key (it gets one now), the words of its communications, and
        the free texts (`ev.WORDS`, reasons) of any case's steps logged before they were sealed.

        The one exception to the log being append-only: each such event is rewritten with the same
        facts, its texts sealed (as `reseal_keys` reseals keys), and the case's status rebuilt from
        the rewritten events. An erased case's texts are sealed under a key made and thrown away on
        the spot, so they are erased as retention meant. Safe to run again: nothing is left to seal.
        `progress` hears each case changed and how many of its events were rewritten."""
        sealing = LegacySealing()
        for status in sorted(self.store.statuses(ev.COMPLAINT), key=lambda s: s.subject_id):
            sealing.cases_seen += 1
            reference = status.subject_id
            events = self.store.events_for(ev.COMPLAINT, reference)
            if not any(_in_the_clear(e) for e in events):
                continue
            box = self._case_box(reference)
            if box is None:
                case_key = secrets.token_urlsafe(32)
                if not status.data.get("erased") and "personal" not in status.data:
                    self.store.keep_case_key(reference, self.box.seal(case_key), self.clock.now())
                    sealing.keys_made += 1
                box = SecretBox(case_key)  # else thrown away: what it seals is erased
            rewritten = [_sealed(e, box) if _in_the_clear(e) else e for e in events]
            changed = [e for e, before in zip(rewritten, events, strict=True) if e != before]
            for event in changed:
                self.store.replace_event(event)
            self.store.replace_status(fold(self.log.reducers, rewritten)[(ev.COMPLAINT, reference)])
            sealing.cases_sealed += 1
            sealing.events_rewritten += len(changed)
            progress(reference, len(changed))
        return sealing

    def subject_access(
        self, viewer: Viewer, *, name: str = "", email: str = "", member: str = ""
    ) -> dict[str, Any]:
        """Everything the party holds about one person across its cases (as complainant, by name
        or e-mail, or as respondent, by membership number), as JSON; each case read is recorded."""
        name, email, member = name.strip().casefold(), email.strip().casefold(), member.strip()
        if not (name or email or member):
            raise InvalidInput("name: give the person's name, e-mail or membership number")
        if not (viewer.roles & DATA_PROTECTION_ROLES) or viewer.party is None:
            raise Forbidden("a subject-access request is answered by the party's oversight or party admin")
        held = []
        for status in sorted(self.store.statuses(ev.COMPLAINT), key=lambda s: s.subject_id):
            if status.data["party"] != viewer.party:
                continue
            case = self._to_case(status)
            who = case.complaint.complainant
            roles = []
            if who is not None and (
                (name and who.name.casefold() == name) or (email and who.email.casefold() == email)
            ):
                roles.append(str(Recipient.COMPLAINANT))
            if member and case.complaint.respondent_member == member:
                roles.append(str(Recipient.RESPONDENT))
            if not roles:
                continue
            self._record(case, viewer, Access.SUBJECT_ACCESS, reason="")
            held.append(
                {"as": roles, "case": case_json(case), "history": [event_json(e) for e in self.history(case)]}
            )
        return {"party": viewer.party, "asked_at": self.clock.now().isoformat(), "cases": held}

    def now(self) -> datetime:
        return self.clock.now()


@dataclasses.dataclass
class LegacySealing:
    """What `Complaints.seal_legacy` did."""

    cases_seen: int = 0
    cases_sealed: int = 0
    events_rewritten: int = 0
    keys_made: int = 0


_PERSONAL = ("complainant", "respondent_member", "what", "links", "place", "characteristic", "health")
"""The personal fields a case filed before sealing carries in the clear in its `complaint.filed`."""


def _in_the_clear(event: Event) -> bool:
    """Whether a case's event holds a text about the parties unsealed (the erasure's own reason,
    written by the system, is not one)."""
    p = event.payload
    if event.kind == ev.FILED:
        return "personal" not in p
    return (
        (bool(event.reason) and event.kind != ev.ERASED)
        or "text" in p
        or any(p.get(name) for name in ev.WORDS)
    )


def _sealed(event: Event, box: SecretBox) -> Event:
    """`event` with its clear texts sealed by `box`, as a step written today would be."""
    payload = dict(event.payload)
    if event.kind == ev.FILED:
        personal = {name: payload.pop(name, None) for name in _PERSONAL}
        personal["health"] = personal["health"] or ""
        payload["reachable"] = [str(r) for r in sorted(ev.reachable(event.payload))]
        payload["personal"] = box.seal(json.dumps(personal))
        return dataclasses.replace(event, payload=payload)
    if "text" in payload:
        payload["sealed_text"] = box.seal(payload.pop("text"))
    words = {"reason": event.reason} if event.reason and event.kind != ev.ERASED else {}
    words |= {name: payload.pop(name) for name in ev.WORDS if payload.get(name)}
    if words:
        payload[ev.SEALED_WORDS] = {
            **payload.get(ev.SEALED_WORDS, {}),
            **{name: box.seal(text) for name, text in words.items()},
        }
    return dataclasses.replace(event, reason="" if "reason" in words else event.reason, payload=payload)


def party_recipient_id(reference: str, recipient: Recipient) -> str:
    return f"{PARTY_PREFIX}{reference}:{recipient}"


def case_json(case: Case) -> dict[str, Any]:
    """A case as JSON (what an export and a subject-access answer carry)."""
    complaint = case.complaint
    who = complaint.complainant
    return {
        "reference": case.reference,
        "party": case.party,
        "category": case.category,
        "state": str(case.state),
        "received_at": case.received_at.isoformat(),
        "source": str(complaint.source),
        "what": complaint.what,
        "online": complaint.where.online,
        "links": list(complaint.where.links),
        "message_ids": list(complaint.where.message_ids),
        "place": complaint.where.place,
        "when": None if complaint.when is None else complaint.when.isoformat(),
        "complainant": None if who is None else dataclasses.asdict(who),
        "respondent_member": complaint.respondent_member,
        "characteristic": complaint.characteristic,
        "health": complaint.health,
        "special_category_withheld": case.special_hidden,
        "team": {user: str(role) for user, role in sorted(case.team.items())},
        "assessment": None if case.assessment is None else str(case.assessment),
        "sanction": case.sanction,
        "outcome": case.outcome,
        "joint": case.joint,
        "erased": case.erased,
    }


def event_json(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "actor": event.actor,
        "occurred_at": event.occurred_at.isoformat(),
        "reason": event.reason,
        "payload": {k: v for k, v in event.payload.items() if k != "personal"},
    }
