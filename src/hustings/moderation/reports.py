"""Reports: a claim that a message breaks the rules, filed by a person or by the detector.

`file_report` is the one way to file a report (the API, the console, the protection engineer's
safe inbox and the automated ingest hook all call it). It writes a `report.filed` event on the
message subject; many reports on one message join that one item of work, and a second report
from the same account on the same message is logged (it is evidence of mass reporting) but
counted once: the item's status shows `report_count`, `distinct_reporters` and `repeat_reports`.

A report id carries its message id (``r_<message hex>_<random>``), so a report is found from
its id through the message's events without a table of its own.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hustings.auth.model import Role, User
from hustings.clock import Clock, iso
from hustings.detect.assessment import LABELS, Assessment
from hustings.errors import InvalidInput, NotFound
from hustings.events import Event, EventLog, Status, model_actor, user_actor
from hustings.messages.events import SUBJECT
from hustings.moderation.events import OTHER, REPORT_FILED, FiledReport, ReporterKind, ReportFiled
from hustings.moderation.policy import Policy, load_policy
from hustings.moderation.status import ItemState

CATEGORIES: tuple[str, ...] = (*(label.value for label in LABELS), OTHER)
"""What a report can be about: the detector's labels, plus `other`."""
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """What filing a report did: the report's id, whether this account had reported the message
    before (a repeat counts once), and the item's status afterwards."""

    report_id: str
    message_id: str
    reporter_kind: ReporterKind
    repeat: bool
    status: Status


def new_report_id(message_id: str) -> str:
    return f"r_{message_id.removeprefix('m_')}_{secrets.token_hex(4)}"


def message_id_of(report_id: str) -> str:
    """The message a report id belongs to; `NotFound` for anything that is not a report id."""
    parts = report_id.split("_")
    if len(parts) != 3 or parts[0] != "r" or len(parts[1]) != 32 or not parts[1].isalnum():
        raise NotFound(f"report_id: no report {report_id!r}")
    return f"m_{parts[1]}"


def reporter_kind_for(user: User, message_target_ids: Iterable[str]) -> ReporterKind:
    """The kind of reporter a user is for one message, from their roles.

    A trusted flagger reports as one; a target or delegate reports as such only about a message
    addressed to a target they are or act for; anyone else's report is a notice from a user.
    """
    if Role.FLAGGER in user.roles:
        return ReporterKind.TRUSTED_FLAGGER
    mine = set(user.target_ids) & set(message_target_ids)
    if mine and Role.TARGET in user.roles:
        return ReporterKind.TARGET
    if mine and Role.DELEGATE in user.roles:
        return ReporterKind.DELEGATE
    return ReporterKind.USER


def _validate(category: str, note: str) -> str:
    category = category.strip().lower()
    if category not in CATEGORIES:
        raise InvalidInput(f"category: must be one of {', '.join(CATEGORIES)}, not {category!r}")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters")
    return category


def report_event(
    *,
    message_id: str,
    report_id: str,
    reporter_kind: ReporterKind,
    reporter_id: str,
    actor: str,
    category: str,
    claims_illegal: bool,
    note: str,
    repeat: bool,
    policy: Policy,
    clock: Clock,
    idempotency_key: str | None = None,
    model: str | None = None,
    clock_hours: int | None = None,
    lane_hours: int | None = None,
) -> Event:
    """A `report.filed` event; `clock_hours` sets a shorter clock than the policy's (a message
    naming a target's registered private details is due within the hour).

    A trusted flagger's report enters the priority lane with the policy's service level for its
    category; `lane_hours` puts any other report there with the one given.
    """
    manifest = policy.manifestly_illegal(category)
    payload: ReportFiled = {
        "report_id": report_id,
        "reporter_kind": reporter_kind.value,
        "reporter_id": reporter_id,
        "category": category,
        "claims_illegal": claims_illegal,
        "manifestly_illegal": manifest,
        "note": note,
        "repeat": repeat,
    }
    hours = clock_hours if clock_hours is not None else int(policy.clock(manifest).total_seconds() // 3600)
    body: dict[str, Any] = {**payload, "clock_hours": hours}
    if lane_hours is not None:
        body["lane_hours"] = lane_hours
    elif reporter_kind == ReporterKind.TRUSTED_FLAGGER:
        body["lane_hours"] = policy.lane_hours(category)
    return Event(
        kind=REPORT_FILED,
        subject_type=SUBJECT,
        subject_id=message_id,
        actor=actor,
        occurred_at=clock.now(),
        idempotency_key=idempotency_key or f"{REPORT_FILED}:{report_id}",
        reason=f"{reporter_kind.value} reported {category}" + (" (claims illegal)" if claims_illegal else ""),
        model=model,
        payload=body,
    )


def file_report(
    log: EventLog,
    clock: Clock,
    *,
    message_id: str,
    reporter: User,
    reporter_kind: ReporterKind,
    category: str,
    claims_illegal: bool = False,
    note: str = "",
    policy: Policy | None = None,
    idempotency_key: str | None = None,
) -> ReportOutcome:
    """File a person's report on a message; the caller commits.

    `reporter_kind` comes from the caller's role (see `reporter_kind_for`). Raises `NotFound` if
    the message is not in the log, `InvalidInput` naming the field for a bad category or note.
    Pass an `idempotency_key` to make a retried request file the report once.
    """
    if reporter_kind == ReporterKind.AUTOMATED:
        raise InvalidInput("reporter_kind: automated reports come from the detector (file_automated_reports)")
    policy = policy or load_policy()
    category = _validate(category, note)
    before = log.store.load_statuses([(SUBJECT, message_id)]).get((SUBJECT, message_id))
    if before is None:
        raise NotFound(f"message_id: no message {message_id!r}")
    repeat = reporter.id in before.data.get("reporters", [])
    report_id = new_report_id(message_id)
    status = log.append(
        report_event(
            message_id=message_id,
            report_id=report_id,
            reporter_kind=reporter_kind,
            reporter_id=reporter.id,
            actor=user_actor(reporter.id),
            category=category,
            claims_illegal=claims_illegal,
            note=note.strip(),
            repeat=repeat,
            policy=policy,
            clock=clock,
            idempotency_key=idempotency_key,
        )
    )
    return ReportOutcome(
        report_id=report_id,
        message_id=message_id,
        reporter_kind=reporter_kind,
        repeat=repeat,
        status=status,
    )


def automated_report_id(message_id: str, model: str) -> str:
    # Deterministic, so re-assessing a message with the same model files nothing new.
    return f"r_{message_id.removeprefix('m_')}_{hashlib.sha256(model.encode()).hexdigest()[:8]}"


def file_automated_reports(
    log: EventLog, clock: Clock, assessments: Mapping[str, Assessment], *, policy: Policy | None = None
) -> list[str]:
    """File one `automated` report for each message whose assessment flagged something.

    One report per message and model (idempotent); the category is the gravest flagged label.
    Returns the ids of the reports filed.
    """
    policy = policy or load_policy()
    events: list[Event] = []
    for message_id, assessment in assessments.items():
        if not assessment.flagged:
            continue
        category = assessment.flagged[0].value  # LABELS order is gravest first
        report_id = automated_report_id(message_id, assessment.model)
        evidence = "; ".join(f"{item.label.value}: {item.reason}" for item in assessment.evidence[:5])
        events.append(
            report_event(
                message_id=message_id,
                report_id=report_id,
                reporter_kind=ReporterKind.AUTOMATED,
                reporter_id=model_actor(assessment.model),
                actor=model_actor(assessment.model),
                category=category,
                claims_illegal=policy.manifestly_illegal(category),
                note=(
                    f"flagged {', '.join(assessment.flagged)} (severity {assessment.severity:.2f})"
                    + (f"; {evidence}" if evidence else "")
                )[:MAX_NOTE],
                repeat=False,
                policy=policy,
                clock=clock,
                idempotency_key=f"{REPORT_FILED}:{report_id}",
                model=assessment.model,
            )
        )
    result = log.append_many(events)
    return [str(event.payload["report_id"]) for event in result.appended]


# ---------------------------------------------------------------- what a reporter sees

_ACTION_WORDS = {
    "no_action": "We reviewed the message and found it did not break our rules, so it stays up.",
    "label": "We reviewed the message and added a warning label to it.",
    "hide": "We reviewed the message and hid it.",
    "remove": "We reviewed the message and removed it.",
    "restrict_account": "We reviewed the message, removed it and restricted the account that sent it.",
    "suspend_account": "We reviewed the message, removed it and suspended the account that sent it.",
}


def outcome_in_words(status: Status) -> tuple[str, str]:
    """(stage, sentence) telling a reporter what happened to their report, never who decided."""
    state = status.state
    if state in {ItemState.REPORTED, ItemState.INGESTED, ItemState.ASSESSED}:
        return "received", "We have your report and it is waiting for a moderator."
    if state in {ItemState.CLAIMED, ItemState.ESCALATED}:
        return "under_review", "A moderator is reviewing the message."
    decision = status.data.get("decision") or {}
    action = str(status.data.get("action_in_force") or decision.get("action") or "")
    words = _ACTION_WORDS.get(action, "We reviewed the message.")
    rule = decision.get("policy_rule")
    if rule and action != "no_action":
        words += f" The decision applied rule {rule} of our policy."
    if state == ItemState.APPEALED:
        return "appealed", words + " The sender has appealed and a different moderator is reviewing it."
    if state == ItemState.APPEAL_DECIDED:
        outcome = (status.data.get("appeal_outcome") or {}).get("outcome")
        change = "was upheld" if outcome == "upheld" else "was reversed"
        return "appeal_decided", f"The sender appealed and the decision {change}. " + words
    return "decided", words


def report_view(report: FiledReport, status: Status) -> dict[str, Any]:
    """A report as its reporter may see it: no moderator identity, no other reporters."""
    stage, words = outcome_in_words(status)
    decided_at = (status.data.get("decision") or {}).get("decided_at")
    return {
        "report_id": report.report_id,
        "message_id": report.message_id,
        "filed_at": iso(report.filed_at),
        "category": report.category,
        "claims_illegal": report.claims_illegal,
        "note": report.note,
        "repeat": report.repeat,
        "stage": stage,
        "outcome": words,
        "decided_at": decided_at if stage not in {"received", "under_review"} else None,
    }


# ---------------------------------------------------------------- what the person targeted sees

_REMOVING = frozenset({"remove", "restrict_account", "suspend_account"})


@dataclass(frozen=True, slots=True)
class ModerationState:
    """Where moderation stands on a message, in the words the person it was sent to reads.

    `state` is one of ``flagged`` (by the detector only), ``reported``, ``under_review``, ``removed``, ``hidden``, ``labelled``,
    ``no_action`` and ``appealed``; `reportable` is False once the message is gone or hidden (a
    report on it would change nothing).
    """

    state: str
    words: str
    reportable: bool = True

    @property
    def label(self) -> str:
        return self.state.replace("_", " ")


def moderation_state(status: Status | None) -> ModerationState | None:
    """The moderation state of a message for its target; None while nobody has reported it."""
    if status is None or status.state in {ItemState.INGESTED, ItemState.ASSESSED}:
        return None
    if status.state == ItemState.REPORTED:
        kinds = set(status.data.get("reporter_kinds", []))
        if kinds and kinds <= {ReporterKind.AUTOMATED.value}:
            # Nobody has reported it yet: the detector put it in the moderators' queue.
            return ModerationState("flagged", "Flagged by the detector: waiting for a moderator.")
        return ModerationState("reported", "Reported: waiting for a moderator.")
    if status.state in {ItemState.CLAIMED, ItemState.ESCALATED}:
        return ModerationState("under_review", "Under review: a moderator is looking at it now.")
    action = str(
        status.data.get("action_in_force") or (status.data.get("decision") or {}).get("action") or ""
    )
    if action in _REMOVING:
        done = ModerationState("removed", "Removed by the moderators.", reportable=False)
        if action != "remove":
            done = ModerationState(
                "removed", "Removed by the moderators, and the account that sent it was restricted.", False
            )
    elif action == "hide":
        done = ModerationState("hidden", "Hidden by the moderators.", reportable=False)
    elif action == "label":
        done = ModerationState("labelled", "The moderators put a warning label on it.")
    else:
        done = ModerationState(
            "no_action", "Reviewed: the moderators found it did not break the rules, so it stays up."
        )
    if status.state == ItemState.APPEALED:
        return ModerationState(
            "appealed",
            done.words + " The sender has appealed; another moderator is reviewing it.",
            done.reportable,
        )
    if status.state == ItemState.APPEAL_DECIDED:
        outcome = (status.data.get("appeal_outcome") or {}).get("outcome")
        change = (
            "The sender appealed and the decision was upheld."
            if outcome == "upheld"
            else ("The sender appealed and the decision was changed.")
        )
        return ModerationState(done.state, f"{done.words} {change}", done.reportable)
    return done


def reasons_in_words(decision_event: Event | None) -> list[tuple[str, str]]:
    """The statement of reasons a decision carries, as (heading, words) pairs for a reporter.

    Empty where there is none (`no_action` carries no statement). Never names the moderator.
    """
    if decision_event is None:
        return []
    statement = decision_event.payload.get("statement") or {}
    pairs: list[tuple[str, str]] = []
    rule = decision_event.payload.get("policy_rule")
    if rule:
        pairs.append(("Rule", str(rule)))
    ground = statement.get("illegal_content_legal_ground") or statement.get("incompatible_content_ground")
    if ground:
        pairs.append(("Ground", str(ground)))
    explanation = statement.get("illegal_content_explanation") or statement.get(
        "incompatible_content_explanation"
    )
    if explanation:
        pairs.append(("Why", str(explanation)))
    if statement.get("decision_facts"):
        pairs.append(("Facts", str(statement["decision_facts"])))
    return pairs
