"""The complaints' events and the pure reducers over them.

Three subject types:

- ``complaint`` (id: the case reference): ``complaint.filed`` and then one event per step
  (acknowledged, assessed, assigned, objection raised and decided, charged, hearing opened,
  decided, appealed, appeal decided, closed), plus ``complaint.communicated`` (the text sent to
  a party, sealed) and ``complaint.commented``; ``complaint.referred_joint`` (to the joint panel),
  ``complaint.survey_sent`` and ``complaint.survey_answered`` (the confidence survey at closure),
  ``complaint.audit_finding`` (an independent reviewer's finding) and ``complaint.erased`` (the
  case's key destroyed at the end of its retention period). Which step is legal from which stage is `next_state`,
  which both the service (to refuse) and the reducer (to derive) use.
- ``complaint_handler`` (id: the user id): ``complaint_handler.enrolled`` puts a user in a
  party's complaints team, ``complaint_handler.conflict_declared`` records a conflict of interest,
  ``complaint_handler.joint_enrolled`` seats them on the joint panel.
- ``complaint_access`` (id: ``<reference>/<random>``): ``complaint_access.recorded``, one view,
  comment or export of a case by anyone, with the break-glass reason of someone not on the team.

Personal data (the complainant, the respondent's number, what happened, links, place, the protected
characteristic, health details, the words of communications and comments) are never in the log in
the clear: they are sealed with the case's own key (`Complaints` keeps it, sealed, beside the log).
Destroying that key erases them; the rest of the log, and so every figure, stays. So are the free
texts written about the parties on each step (`WORDS`: the reason of a decision, an objection, an
appeal or a referral, the evidence relied on, the reason for departing from the sanction guidance, an
auditor's note): they sit in the payload's ``sealed_words``, the event's own ``reason`` left empty.
What the figures count (category, stage, assessment, outcome, sanction, times) stays in the clear.

Keys are ``kind:subject:event_count``, so two steps decided on one state cannot both apply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from hustings.clock import iso, parse_iso
from hustings.complaints.model import (
    Access,
    AccessRecord,
    Assessment,
    AuditFinding,
    AuditView,
    Case,
    CaseState,
    Complainant,
    DeclaredConflict,
    Handler,
    IllegalTransition,
    NewComplaint,
    Objection,
    Recipient,
    Source,
    TeamRole,
    Where,
)
from hustings.events.model import Event, Reducer, Status, initial_status, next_event

COMPLAINT = "complaint"
HANDLER = "complaint_handler"
ACCESS = "complaint_access"

FILED = "complaint.filed"
ACKNOWLEDGED = "complaint.acknowledged"
ASSESSED = "complaint.assessed"
ASSIGNED = "complaint.assigned"
OBJECTION_RAISED = "complaint.objection_raised"
OBJECTION_DECIDED = "complaint.objection_decided"
CHARGED = "complaint.charged"
HEARING_OPENED = "complaint.hearing_opened"
DECIDED = "complaint.decided"
APPEALED = "complaint.appealed"
APPEAL_DECIDED = "complaint.appeal_decided"
CLOSED = "complaint.closed"
COMMUNICATED = "complaint.communicated"
COMMENTED = "complaint.commented"
ENROLLED = "complaint_handler.enrolled"
CONFLICT_DECLARED = "complaint_handler.conflict_declared"
ACCESS_RECORDED = "complaint_access.recorded"
REFERRED_JOINT = "complaint.referred_joint"
SURVEY_SENT = "complaint.survey_sent"
SURVEY_ANSWERED = "complaint.survey_answered"
AUDIT_FINDING = "complaint.audit_finding"
ERASED = "complaint.erased"
JOINT_ENROLLED = "complaint_handler.joint_enrolled"
ERASED_TEXT = "[erased]"
SEALED_WORDS = "sealed_words"
"""The payload key of a step's free texts, each sealed with the case's key: ``{field: sealed}``."""
WORDS = ("evidence", "departure")
"""A step's payload fields of free text about the parties (beside the event's `reason`)."""

S = CaseState
_ASSESSED_TO = {
    Assessment.NO_FURTHER_ACTION: S.CLOSED,
    Assessment.INFORMAL_RESOLUTION: S.INFORMAL_RESOLUTION,
    Assessment.INVESTIGATION: S.INVESTIGATION,
}
MOVES: dict[str, dict[CaseState, CaseState]] = {
    ACKNOWLEDGED: {S.RECEIVED: S.ACKNOWLEDGED},
    CHARGED: {S.INVESTIGATION: S.CHARGED},
    HEARING_OPENED: {S.CHARGED: S.HEARING},
    DECIDED: {S.HEARING: S.DECIDED},
    APPEALED: {S.DECIDED: S.APPEAL},
    APPEAL_DECIDED: {S.APPEAL: S.CLOSED},
    CLOSED: {S.INFORMAL_RESOLUTION: S.CLOSED, S.INVESTIGATION: S.CLOSED, S.DECIDED: S.CLOSED},
}
"""Each step that moves a case: from which stage to which. Assessment is `_ASSESSED_TO`."""
STAYS = frozenset(
    {
        ASSIGNED,
        OBJECTION_RAISED,
        OBJECTION_DECIDED,
        COMMUNICATED,
        COMMENTED,
        REFERRED_JOINT,
        AUDIT_FINDING,
        SURVEY_SENT,
        SURVEY_ANSWERED,
        ERASED,
    }
)
"""Steps that leave the stage as it is (refused only on a closed case, but for `AFTER_CLOSING`)."""
AFTER_CLOSING = frozenset({COMMUNICATED, AUDIT_FINDING, SURVEY_SENT, SURVEY_ANSWERED, ERASED})
ONLY_CLOSED = frozenset({SURVEY_SENT, SURVEY_ANSWERED, ERASED})
"""Steps taken only once a case is closed."""
DECISIONS = frozenset({ASSESSED, CHARGED, DECIDED, APPEAL_DECIDED, CLOSED})
"""Steps that must give a reason citing the code's clauses and the evidence relied on."""


def next_state(state: CaseState, kind: str, payload: Mapping[str, Any]) -> CaseState:
    """The stage a case in `state` moves to on a `kind` step, or `IllegalTransition` saying why not."""
    if kind == ASSESSED:
        if state is not S.ACKNOWLEDGED:
            raise IllegalTransition(f"a case is assessed once acknowledged; this one is {state}")
        return _ASSESSED_TO[Assessment(payload["assessment"])]
    if kind in STAYS:
        if kind in ONLY_CLOSED and state is not S.CLOSED:
            raise IllegalTransition(
                f"{kind.split('.')[1].replace('_', ' ')} is for a closed case; this one is {state}"
            )
        if state is S.CLOSED and kind not in AFTER_CLOSING:
            raise IllegalTransition(f"the case is closed: {kind.split('.')[1].replace('_', ' ')} refused")
        return state
    moves = MOVES.get(kind)
    if moves is None:
        raise IllegalTransition(f"{kind} is not a step of a complaint")
    if state not in moves:
        allowed = " or ".join(sorted(moves))
        raise IllegalTransition(
            f"{kind.split('.')[1].replace('_', ' ')} is a step from {allowed}; this case is {state}"
        )
    return moves[state]


def personal_fields(complaint: NewComplaint) -> dict[str, Any]:
    """What a complaint says about people: sealed with the case's key, never in the log in the clear."""
    who = complaint.complainant
    return {
        "complainant": None if who is None else {"name": who.name, "email": who.email, "phone": who.phone},
        "respondent_member": complaint.respondent_member,
        "what": complaint.what,
        "links": list(complaint.where.links),
        "place": complaint.where.place,
        "characteristic": complaint.characteristic,
        "health": complaint.health,
    }


def complaint_filed(
    reference: str,
    complaint: NewComplaint,
    *,
    code_version: str,
    limits: Mapping[str, int],
    communication_days: int,
    personal: str,
    actor: str,
    at: datetime,
) -> Event:
    """The complaint as filed, with the stage limits of the code it was filed under (so its
    deadlines stay those of that version); `personal` is `personal_fields`, sealed."""
    reachable = [str(Recipient.COMPLAINANT)] if complaint.complainant is not None else []
    if complaint.respondent_member is not None:
        reachable.append(str(Recipient.RESPONDENT))
    payload = {
        "party": complaint.party,
        "category": complaint.category,
        "online": complaint.where.online,
        "message_ids": list(complaint.where.message_ids),
        "when": complaint.when.isoformat() if complaint.when else None,
        "source": str(complaint.source),
        "code_version": code_version,
        "limits": dict(limits),
        "communication_days": communication_days,
        "reachable": reachable,
        "personal": personal,
    }
    return next_event(FILED, COMPLAINT, reference, actor=actor, at=at, count=0, payload=payload)


def case_step(kind: str, case: Case, *, actor: str, at: datetime, reason: str = "", **payload: Any) -> Event:
    """Any step on a case after filing; `next_state` says whether it is legal."""
    return next_event(
        kind,
        COMPLAINT,
        case.reference,
        actor=actor,
        at=at,
        count=case.event_count,
        payload=payload,
        reason=reason,
    )


def handler_enrolled(user_id: str, party: str, *, actor: str, at: datetime, count: int) -> Event:
    return next_event(ENROLLED, HANDLER, user_id, actor=actor, at=at, count=count, payload={"party": party})


def joint_enrolled(user_id: str, *, actor: str, at: datetime, count: int) -> Event:
    return next_event(JOINT_ENROLLED, HANDLER, user_id, actor=actor, at=at, count=count, payload={})


def conflict_declared(
    user_id: str, *, case: str | None, member: str | None, note: str, actor: str, at: datetime, count: int
) -> Event:
    return next_event(
        CONFLICT_DECLARED,
        HANDLER,
        user_id,
        actor=actor,
        at=at,
        count=count,
        payload={"case": case, "member": member, "note": note},
        reason=note,
    )


def access_recorded(record: AccessRecord, *, access_id: str, actor: str) -> Event:
    payload = {
        "case": record.case,
        "party": record.party,
        "user_id": record.user_id,
        "action": str(record.action),
        "on_team": record.on_team,
        "break_glass_reason": record.break_glass_reason,
    }
    return next_event(
        ACCESS_RECORDED,
        ACCESS,
        f"{record.case}/{access_id}",
        actor=actor,
        at=record.at,
        count=0,
        payload=payload,
        reason=record.break_glass_reason,
    )


# ---------------------------------------------------------------- reducers


def sealed_reason(event: Event) -> str | None:
    """The step's reason sealed with the case's key (None: given in the clear, or none)."""
    words: Mapping[str, str] = event.payload.get(SEALED_WORDS, {})
    return words.get("reason")


def _stage_due(data: Mapping[str, Any], limits: Mapping[str, int]) -> datetime | None:
    days = limits.get(data["state"], 0)
    entered = parse_iso(data["stage_entered_at"])
    if not days or entered is None:
        return None
    return entered + timedelta(days=days)


def reduce_complaint(status: Status | None, event: Event) -> Status:
    p = event.payload
    if event.kind == FILED:
        data: dict[str, Any] = {
            **p,
            "received_at": iso(event.occurred_at),
            "stage_entered_at": iso(event.occurred_at),
            "team": {},
            "objections": [],
            "told": {},
            "assessment": None,
            "sanction": None,
            "outcome": "",
            "joint": False,
            "erased": False,
            "surveys": {},
            "audit_findings": [],
        }
        data["state"] = str(S.RECEIVED)
        return Status(
            subject_type=COMPLAINT,
            subject_id=event.subject_id,
            state=str(S.RECEIVED),
            data=data,
            category=str(p["category"]),
            due_at=_stage_due(data, data["limits"]),
        )
    if status is None:
        raise ValueError(f"{event.kind} on {event.subject_id!r} before it was filed")
    state = next_state(CaseState(status.state), event.kind, p)
    data = dict(status.data)
    team = dict(data["team"])
    if event.kind == ASSIGNED:
        team[p["handler"]] = p["role"]
    elif event.kind == HEARING_OPENED:
        team.update(dict.fromkeys(p["panel"], TeamRole.PANEL.value))
    elif event.kind == ACKNOWLEDGED:
        team.setdefault(p["officer"], TeamRole.CASE_OFFICER.value)
    elif event.kind == OBJECTION_RAISED:
        data["objections"] = [
            *data["objections"],
            {
                "handler": p["handler"],
                "by": p["by"],
                "reason": event.reason,
                "sealed_reason": sealed_reason(event),
                "upheld": None,
                "decision_reason": "",
            },
        ]
    elif event.kind == OBJECTION_DECIDED:
        objections = [dict(o) for o in data["objections"]]
        for objection in objections:
            if objection["handler"] == p["handler"] and objection["upheld"] is None:
                objection["upheld"] = p["upheld"]
                objection["decision_reason"] = event.reason
                objection["sealed_decision_reason"] = sealed_reason(event)
        data["objections"] = objections
        if p["upheld"]:
            team.pop(p["handler"], None)
    elif event.kind == COMMUNICATED:
        data["told"] = {**data["told"], p["to"]: iso(event.occurred_at)}
    elif event.kind == ASSESSED:
        data["assessment"] = p["assessment"]
    elif event.kind in (DECIDED, APPEAL_DECIDED):
        if p.get("sanction") is not None:
            data["sanction"] = p["sanction"]
        data["outcome"] = p.get("outcome", "")
    elif event.kind == CLOSED:
        data["outcome"] = p.get("outcome", data["outcome"])
    elif event.kind == REFERRED_JOINT:
        data["joint"] = True
    elif event.kind == SURVEY_SENT:
        data["surveys"] = {**data.get("surveys", {}), p["to"]: False}
    elif event.kind == SURVEY_ANSWERED:
        data["surveys"] = {**data.get("surveys", {}), p["by"]: True}
    elif event.kind == AUDIT_FINDING:
        finding = {
            "reviewer": event.actor,
            "quarter": p["quarter"],
            "view": p["view"],
            "note": event.reason,
            "sealed_note": sealed_reason(event),
            "at": iso(event.occurred_at),
        }
        data["audit_findings"] = [*data.get("audit_findings", []), finding]
    elif event.kind == ERASED:
        data["erased"] = True
        data.pop("personal", None)
        data["kept_characteristic"] = p.get("kept_characteristic")
    data["team"] = team
    if state != status.state:
        data["stage_entered_at"] = iso(event.occurred_at)
    data["state"] = str(state)
    return status.evolve(
        state=str(state),
        data=data,
        due_at=_stage_due(data, data["limits"]),
        assignee=next((u for u, r in team.items() if r == TeamRole.CASE_OFFICER), None),
    )


def reduce_handler(status: Status | None, event: Event) -> Status:
    status = status or initial_status(event, "enrolled")
    data = dict(status.data)
    if event.kind == ENROLLED:
        data["party"] = event.payload["party"]
        data.setdefault("conflicts", [])
    elif event.kind == CONFLICT_DECLARED:
        data["conflicts"] = [*data.get("conflicts", []), dict(event.payload)]
    elif event.kind == JOINT_ENROLLED:
        data["joint_panel"] = True
    return status.evolve(data=data)


def reduce_access(status: Status | None, event: Event) -> Status:
    return initial_status(event, str(event.payload["action"])).evolve(data=dict(event.payload))


REDUCERS: dict[str, Reducer] = {COMPLAINT: reduce_complaint, HANDLER: reduce_handler, ACCESS: reduce_access}


# ---------------------------------------------------------------- reading statuses back


def _moment(value: str) -> datetime:
    moment = parse_iso(value)
    assert moment is not None  # the reducer writes these from event times
    return moment


ERASED_FIELDS: dict[str, Any] = {
    "complainant": None,
    "respondent_member": None,
    "what": ERASED_TEXT,
    "links": [],
    "place": "",
    "characteristic": None,
    "health": "",
}
"""What a case shows once its personal data are erased (or its key cannot be read)."""


def reachable(data: Mapping[str, Any]) -> frozenset[Recipient]:
    if "reachable" in data:
        return frozenset(Recipient(r) for r in data["reachable"])
    # filed before personal data were sealed: read from the plain fields
    found = set()
    if data.get("complainant") is not None:
        found.add(Recipient.COMPLAINANT)
    if data.get("respondent_member") is not None:
        found.add(Recipient.RESPONDENT)
    return frozenset(found)


def _words(clear: str, sealed: str | None, opened: Callable[[str], str] | None) -> str:
    if sealed is None:
        return clear
    return ERASED_TEXT if opened is None else opened(sealed)


def case_from_status(
    status: Status,
    personal: Mapping[str, Any] | None = None,
    opened: Callable[[str], str] | None = None,
) -> Case:
    """The case; `personal` is its personal fields opened with the case's key (None: erased or
    not opened), `opened` opens a text sealed with that key (None: such texts read as erased). A
    case filed before sealing carries them in the clear."""
    d = status.data
    if "personal" not in d and not d.get("erased"):
        personal = d
    elif personal is None:
        personal = ERASED_FIELDS
    who = personal["complainant"]
    complaint = NewComplaint(
        party=d["party"],
        category=d["category"],
        what=personal["what"],
        where=Where(
            online=d["online"],
            links=tuple(personal["links"]),
            message_ids=tuple(d["message_ids"]),
            place=personal["place"],
        ),
        when=None if d["when"] is None else datetime.fromisoformat(d["when"]).date(),
        source=Source(d["source"]),
        complainant=None if who is None else Complainant(**who),
        respondent_member=personal["respondent_member"],
        characteristic=personal["characteristic"],
        health=personal.get("health", ""),
    )
    return Case(
        reference=status.subject_id,
        state=CaseState(status.state),
        party=d["party"],
        category=d["category"],
        code_version=d["code_version"],
        complaint=complaint,
        received_at=_moment(d["received_at"]),
        stage_entered_at=_moment(d["stage_entered_at"]),
        due_at=status.due_at,
        team={user: TeamRole(role) for user, role in d["team"].items()},
        objections=tuple(
            Objection(
                handler=o["handler"],
                by=Recipient(o["by"]),
                reason=_words(o["reason"], o.get("sealed_reason"), opened),
                upheld=o["upheld"],
                decision_reason=_words(o["decision_reason"], o.get("sealed_decision_reason"), opened),
            )
            for o in d["objections"]
        ),
        told={Recipient(k): _moment(v) for k, v in d["told"].items()},
        assessment=None if d["assessment"] is None else Assessment(d["assessment"]),
        sanction=d["sanction"],
        outcome=d["outcome"],
        event_count=status.event_count,
        joint=d.get("joint", False),
        erased=d.get("erased", False),
        reachable=reachable(d),
        audit_findings=tuple(
            AuditFinding(
                reviewer=f["reviewer"],
                quarter=f["quarter"],
                view=AuditView(f["view"]),
                note=_words(f["note"], f.get("sealed_note"), opened),
                at=_moment(f["at"]),
            )
            for f in d.get("audit_findings", [])
        ),
        surveys={Recipient(k): v for k, v in d.get("surveys", {}).items()},
    )


def handler_from_status(status: Status) -> Handler:
    return Handler(
        user_id=status.subject_id,
        party=status.data["party"],
        conflicts=tuple(
            DeclaredConflict(case=c["case"], member=c["member"], note=c["note"])
            for c in status.data.get("conflicts", [])
        ),
        joint_panel=status.data.get("joint_panel", False),
    )


def access_from_status(status: Status) -> AccessRecord:
    d = status.data
    assert status.updated_at is not None  # set by the log on every append
    return AccessRecord(
        case=d["case"],
        party=d["party"],
        user_id=d["user_id"],
        action=Access(d["action"]),
        at=status.updated_at,
        on_team=d["on_team"],
        break_glass_reason=d["break_glass_reason"],
    )
