"""The complaints service: filing, every step of a case, the safeguards, and what is read back.

`Complaints(store, log, clock, code)` is built by `Services` as `services.complaints`. Every
change is an event (`hustings.complaints.events`); who may do what is decided here, not in the
routes. Each read is scoped to the caller's party, and every look at a case is recorded.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from hustings.auth.model import Role
from hustings.clock import Clock
from hustings.complaints import events as ev
from hustings.complaints.code import CodeOfConduct
from hustings.complaints.figures import Quarter, QuarterlyFigures, quarterly_figures
from hustings.complaints.model import (
    Access,
    AccessRecord,
    Assessment,
    BreakGlassRequired,
    Case,
    CaseState,
    Grounds,
    Handler,
    NewComplaint,
    Recipient,
    Severity,
    TeamRole,
    TimetableLine,
    Viewer,
)
from hustings.errors import Forbidden, InvalidInput, NotFound
from hustings.events import Event, EventLog, Status, user_actor

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


def new_reference() -> str:
    return "C-" + secrets.token_hex(4).upper()


class Complaints:
    def __init__(
        self,
        store: ComplaintStore,
        log: EventLog,
        clock: Clock,
        code: CodeOfConduct,
        *,
        references: Callable[[], str] = new_reference,
        access_ids: Callable[[], str] = lambda: secrets.token_hex(8),
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.code = code
        self.references = references
        self.access_ids = access_ids

    # ------------------------------------------------------------ who is acting

    def handler(self, user_id: str) -> Handler | None:
        status = self.store.status(ev.HANDLER, user_id)
        return None if status is None else ev.handler_from_status(status)

    def viewer(self, user_id: str, roles: Collection[Role]) -> Viewer:
        handler = self.handler(user_id)
        return Viewer(
            user_id=user_id, roles=frozenset(roles), party=None if handler is None else handler.party
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
        status = self.log.append(
            ev.complaint_filed(
                reference,
                complaint,
                code_version=self.code.version,
                limits=limits,
                actor=actor,
                at=self.clock.now(),
            )
        )
        return ev.case_from_status(status)

    # ------------------------------------------------------------ reading

    def _case(self, reference: str, viewer: Viewer) -> Case:
        status = self.store.status(ev.COMPLAINT, reference)
        if status is None or viewer.party is None or status.data["party"] != viewer.party:
            raise NotFound(f"complaint {reference!r} not found")
        return ev.case_from_status(status)

    def cases(self, viewer: Viewer) -> list[Case]:
        """The party's cases, newest first: reference, category, stage and due date, for the list.
        (Opening one is `open`, and is recorded.)"""
        if viewer.party is None:
            return []
        found = [ev.case_from_status(s) for s in self.store.statuses(ev.COMPLAINT)]
        return sorted(
            (c for c in found if c.party == viewer.party), key=lambda c: c.received_at, reverse=True
        )

    def may_open(self, case: Case, viewer: Viewer) -> bool:
        """Without a reason: the case team, oversight, and the party's complaints officers while a
        case is still waiting for one of them to acknowledge it."""
        if case.on_team(viewer.user_id) or viewer.oversight:
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
        return case

    def _record(self, case: Case, viewer: Viewer, action: Access, *, reason: str) -> None:
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
            ev.access_recorded(record, access_id=self.access_ids(), actor=user_actor(viewer.user_id))
        )

    def accesses(self, reference: str) -> list[AccessRecord]:
        found = [ev.access_from_status(s) for s in self.store.statuses(ev.ACCESS, prefix=f"{reference}/")]
        return sorted(found, key=lambda r: r.at)

    def history(self, case: Case) -> list[Event]:
        """The case's every event, in order (what an export carries)."""
        return self.store.events_for(ev.COMPLAINT, case.reference)

    def export(self, reference: str, viewer: Viewer, *, reason: str = "") -> tuple[Case, list[Event]]:
        case = self.open(reference, viewer, reason=reason, action=Access.EXPORT)
        return case, self.history(case)

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
        status = self.log.append(
            ev.case_step(
                kind,
                case,
                actor=user_actor(viewer.user_id),
                at=self.clock.now(),
                reason=reason.strip(),
                **payload,
            )
        )
        return ev.case_from_status(status)

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

    def _check_handler(self, case: Case, user_id: str) -> Handler:
        handler = self.handler(user_id)
        if handler is None or handler.party != case.party:
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
        for member in panel:
            self._check_handler(case, member)
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
        if to is Recipient.RESPONDENT and case.complaint.respondent_member is None:
            raise InvalidInput("to: the respondent is unknown")
        if to is Recipient.COMPLAINANT and case.complaint.complainant is None:
            raise InvalidInput("to: the complaint is anonymous")
        return self._step(case, viewer, ev.COMMUNICATED, to=str(to), text=text.strip())

    def comment(self, reference: str, viewer: Viewer, text: str, *, reason: str = "") -> Case:
        case = self.open(reference, viewer, reason=reason, action=Access.COMMENT)
        if not text.strip():
            raise InvalidInput("text: the comment")
        return self._step(case, viewer, ev.COMMENTED, text=text.strip())

    # ------------------------------------------------------------ the indicative timetable

    def timetable(self, case: Case) -> list[TimetableLine]:
        """What each party is to be told: the stage, what comes next and by when; a party not told
        within the limit since the stage began shows as a breach."""
        stage = self.code.stages[case.state]
        now = self.clock.now()
        lines = []
        for recipient in Recipient:
            reachable = (
                case.complaint.complainant is not None
                if recipient is Recipient.COMPLAINANT
                else case.complaint.respondent_member is not None
            )
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

    def quarterly(self, viewer: Viewer, quarter: Quarter) -> QuarterlyFigures:
        """The viewer's party's figures for the quarter, from the event log only."""
        if viewer.party is None:
            raise Forbidden("you are in no party's complaints team")
        return quarterly_figures(self.store.events_of((ev.COMPLAINT, ev.ACCESS)), viewer.party, quarter)

    def now(self) -> datetime:
        return self.clock.now()
