"""Decisions: what a moderator did about an item, why (a policy rule and a statement of reasons),
and how long it took.

`decide` takes one decision on one item, or on every member of its near-duplicate cluster at
once. Each item gets its own `decision.made` event, sharing one decision id, with its own DSA
statement of reasons (its own content date and source) and the version of the model whose
assessment assisted. The time from the first notice to the decision is recorded on the event.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hustings.auth.model import User
from hustings.clock import Clock, parse_iso
from hustings.errors import Conflict, InvalidInput
from hustings.events import Event, EventLog, Status, user_actor
from hustings.moderation.events import DECISION_MADE, Action, DecisionMade, ReporterKind
from hustings.moderation.policy import Policy, Rule, load_policy
from hustings.moderation.reasons import build_statement, dsa_puid, statement_required
from hustings.moderation.status import DECIDABLE_STATES, ItemState
from hustings.moderation.work import load_item

MAX_FACTS = 5000


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """What a moderator asks for. `decision_facts` defaults to facts drawn from the item."""

    message_id: str
    action: Action
    policy_rule: str
    decision_facts: str = ""
    apply_to_cluster: bool = False
    expected_count: int | None = None
    """With `apply_to_cluster`: how many messages the caller was shown the decision would
    decide (the item included). A different number now means the caller's view is stale, and
    nothing is decided."""


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    decision_id: str
    action: Action
    policy_rule: str
    policy_version: str
    decided: list[str]
    """Ids of the messages the decision was applied to, the requested one first."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Cluster members left alone, with why (already decided, claimed by someone else...)."""
    statement: dict[str, Any] | None = None
    """The statement of reasons of the requested item (None for `no_action`)."""


def new_decision_id() -> str:
    return "d_" + secrets.token_hex(8)


def default_facts(item: Status, rule: Rule) -> str:
    """Facts a moderator can accept or edit: what was reported, by whom, and what the detector saw."""
    data = item.data
    parts = [f"{rule.title}."]
    count = int(data.get("report_count", 0))
    if count:
        kinds = ", ".join(str(kind).replace("_", " ") for kind in data.get("reporter_kinds", []))
        parts.append(
            f"Reported {count} time{'s' if count != 1 else ''} by "
            f"{data.get('distinct_reporters', count)} reporter(s) ({kinds})."
        )
    flagged = data.get("flagged") or []
    if flagged:
        parts.append(
            f"The detector flagged {', '.join(flagged)} (severity {float(data.get('severity', 0)):.2f})."
        )
    parts.append("A moderator reviewed the message against the policy rule cited.")
    return " ".join(parts)


def detected_automatically(item: Status) -> bool:
    """The DSA's `automated_detection`: whether automated means detected the content, i.e. the
    detector flagged it or an automated report is among the item's reports (which stays so when a
    later assessment flags nothing)."""
    reporter_kinds = item.data.get("reporter_kinds", [])
    return bool(item.data.get("flagged")) or ReporterKind.AUTOMATED.value in reporter_kinds


def item_statement(
    item: Status, *, puid: str, action: Action, rule: Rule, policy: Policy, facts: str, now: datetime
) -> dict[str, Any]:
    """The DSA statement of reasons for `action` on `item` under `rule`, as the event records it.

    The one place a statement is filled from an item, so a decision's statement and the one an
    appeal's reversal writes agree on the item's facts (source, automated detection, dates).
    """
    ground = rule.ground
    if ground == "none":
        raise InvalidInput(f"policy_rule: rule {rule.id} finds no breach, so it has no statement of reasons")
    data = item.data
    return build_statement(
        puid=puid,
        action=action,
        ground=ground,
        legal_ground=rule.legal_ground,
        explanation=rule.explanation,
        category=rule.dsa_category,
        keywords=rule.dsa_keywords,
        decision_facts=facts,
        content_date=(parse_iso(data.get("created_at")) or now).date(),
        application_date=now.date(),
        territorial_scope=policy.defaults.territorial_scope,
        content_type=policy.defaults.content_type,
        reporter_kinds=set(data.get("reporter_kinds", [])),
        automated_detection=detected_automatically(item),
        reference_url=policy.reference_url,
        content_language=data.get("lang"),
    ).to_dsa_json()


def decidable_by(item: Status, moderator: User) -> str | None:
    """Why this item cannot be decided by `moderator` now, in words, or None if it can."""
    return _check(item, moderator)


def cluster_claim_problem(item: Status, moderator: User) -> str | None:
    """Why `moderator` may not decide the item's whole cluster, or None if they may: a decision
    on many messages is taken only by the moderator holding the item's claim."""
    if item.state != ItemState.CLAIMED or item.assignee != moderator.id:
        return "apply_to_cluster: claim this item before deciding its whole cluster"
    return None


def _check(item: Status, moderator: User) -> str | None:
    """Why this item cannot be decided by `moderator` now, or None if it can."""
    if item.state not in DECIDABLE_STATES:
        if item.state in {ItemState.DECIDED, ItemState.APPEAL_DECIDED}:
            return "already decided"
        return f"it is {item.state}"
    if item.state == ItemState.CLAIMED and item.assignee != moderator.id:
        return "claimed by another moderator"
    if item.state == ItemState.CLAIMED and item.data.get("return_state") == ItemState.APPEALED:
        return "it is an appeal: decide the appeal instead"
    return None


def _seconds_between(start: str | None, end: Clock) -> float | None:
    began = parse_iso(start)
    return None if began is None else round((end.now() - began).total_seconds(), 3)


def _decision_event(
    item: Status,
    *,
    decision_id: str,
    request: DecisionRequest,
    rule: Rule,
    policy: Policy,
    moderator: User,
    clock: Clock,
    cluster_id: str | None,
    facts: str,
) -> tuple[Event, dict[str, Any] | None]:
    now = clock.now()
    data = item.data
    statement: dict[str, Any] | None = None
    if statement_required(request.action):
        if rule.ground == "none":
            raise InvalidInput(
                f"policy_rule: rule {rule.id} finds no breach, so the only action under it is no_action"
            )
        statement = item_statement(
            item,
            puid=dsa_puid(decision_id, item.subject_id),
            action=request.action,
            rule=rule,
            policy=policy,
            facts=facts,
            now=now,
        )
    first_notice = data.get("first_notice_at")
    waited = _seconds_between(first_notice, clock)
    due = item.due_at
    payload: DecisionMade = {
        "decision_id": decision_id,
        "action": request.action.value,
        "policy_rule": rule.id,
        "policy_version": policy.version,
        "moderator_id": moderator.id,
        "cluster_id": cluster_id,
        "statement": statement or {},
        "first_notice_at": first_notice,
        "time_to_decision_seconds": waited,
        "within_clock": None if due is None else now <= due,
    }
    event = Event(
        kind=DECISION_MADE,
        subject_type=item.subject_type,
        subject_id=item.subject_id,
        actor=user_actor(moderator.id),
        occurred_at=now,
        idempotency_key=f"{DECISION_MADE}:{item.subject_id}:{item.event_count}",
        reason=f"{request.action.value} under rule {rule.id} ({rule.title}), policy {policy.version}",
        model=data.get("model"),
        payload=dict(payload),
    )
    return event, statement


def decide(
    log: EventLog,
    clock: Clock,
    *,
    moderator: User,
    request: DecisionRequest,
    cluster_members: Sequence[Status] = (),
    policy: Policy | None = None,
) -> DecisionOutcome:
    """Decide one item, or (with `apply_to_cluster`) every undecided member of its cluster.

    `cluster_members` are the statuses of the item's cluster (the caller reads them by
    `cluster_id`). The requested item must be decidable by this moderator (`Conflict` if it was
    decided already or someone else holds it); cluster members that are not are skipped and
    listed. A cluster decision needs the moderator to hold the item's claim, and when the
    request carries `expected_count` it must equal the number of messages decided now (the item
    included); either refusal is a `Conflict` and decides nothing. The caller commits.
    """
    policy = policy or load_policy()
    rule = policy.rule(request.policy_rule)
    facts = request.decision_facts.strip()
    if len(facts) > MAX_FACTS:
        raise InvalidInput(f"decision_facts: at most {MAX_FACTS} characters")
    item = load_item(log, request.message_id)
    problem = _check(item, moderator)
    if problem is not None:
        raise Conflict(f"message_id: item {item.subject_id} cannot be decided: {problem}")
    cluster_id = item.cluster_id if request.apply_to_cluster else None
    if request.apply_to_cluster:
        claim_problem = cluster_claim_problem(item, moderator)
        if claim_problem is not None:
            raise Conflict(claim_problem)
        if cluster_id is None:
            raise InvalidInput(f"apply_to_cluster: item {item.subject_id} is in no cluster")
    decision_id = new_decision_id()
    targets = [item]
    skipped: dict[str, str] = {}
    if cluster_id is not None:
        for member in cluster_members:
            if member.subject_id == item.subject_id or member.cluster_id != cluster_id:
                continue
            why = _check(member, moderator)
            if why is None:
                targets.append(member)
            else:
                skipped[member.subject_id] = why
        if request.expected_count is not None and request.expected_count != len(targets):
            raise Conflict(
                f"expected_count: you expected to decide {request.expected_count} messages, but "
                f"{len(targets)} can be decided now; review the cluster again and resend its count"
            )
    events: list[Event] = []
    first_statement: dict[str, Any] | None = None
    for target in targets:
        event, statement = _decision_event(
            target,
            decision_id=decision_id,
            request=request,
            rule=rule,
            policy=policy,
            moderator=moderator,
            clock=clock,
            cluster_id=cluster_id,
            facts=facts or default_facts(target, rule),
        )
        if target is item:
            first_statement = statement
        events.append(event)
    result = log.append_many(events)
    if result.duplicates:
        raise Conflict(
            f"message_id: item {item.subject_id} changed while you decided it; reload and try again"
        )
    return DecisionOutcome(
        decision_id=decision_id,
        action=request.action,
        policy_rule=rule.id,
        policy_version=policy.version,
        decided=[target.subject_id for target in targets],
        skipped=skipped,
        statement=first_statement,
    )


def decide_batch(
    log: EventLog,
    clock: Clock,
    *,
    moderator: User,
    items: Sequence[Status],
    action: Action,
    policy_rule: str,
    decision_facts: str = "",
    policy: Policy | None = None,
) -> DecisionOutcome:
    """One decision on several items a moderator selected together: each decidable item gets its
    own `decision.made` event (its own statement of reasons), all under one decision id; the rest
    are listed in `skipped` with why. `InvalidInput` if none can be decided."""
    policy = policy or load_policy()
    rule = policy.rule(policy_rule)
    facts = decision_facts.strip()
    if len(facts) > MAX_FACTS:
        raise InvalidInput(f"decision_facts: at most {MAX_FACTS} characters")
    decision_id = new_decision_id()
    events: list[Event] = []
    decided: list[str] = []
    skipped: dict[str, str] = {}
    for item in items:
        why = _check(item, moderator)
        if why is not None:
            skipped[item.subject_id] = why
            continue
        request = DecisionRequest(message_id=item.subject_id, action=action, policy_rule=rule.id)
        event, _ = _decision_event(
            item,
            decision_id=decision_id,
            request=request,
            rule=rule,
            policy=policy,
            moderator=moderator,
            clock=clock,
            cluster_id=None,
            facts=facts or default_facts(item, rule),
        )
        events.append(event)
        decided.append(item.subject_id)
    if not events:
        raise InvalidInput("message_ids: none of the selected items can be decided by you now")
    result = log.append_many(events)
    if result.duplicates:
        raise Conflict("message_ids: an item changed while you decided it; reload and try again")
    return DecisionOutcome(
        decision_id=decision_id,
        action=action,
        policy_rule=rule.id,
        policy_version=policy.version,
        decided=decided,
        skipped=skipped,
    )


def suggested_action(item: Status, policy: Policy | None = None) -> tuple[Rule, Action]:
    """The rule covering the item's category and the policy's default action for its severity."""
    policy = policy or load_policy()
    rule = policy.rule_for_category(item.category)
    return rule, policy.default_action(rule, float(item.data.get("severity") or 0.0))
