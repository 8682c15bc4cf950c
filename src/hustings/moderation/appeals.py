"""Appeals: the author of actioned content may appeal once, and a different moderator decides.

The appeal is recorded on the author's behalf (authors are accounts on other platforms, not
Hustings users) by the staff who received it. Its outcome is `upheld` (the action stays) or
`reversed` (a new action, `no_action` by default, replaces it), with reasons, and is shown to the
item's reporters in words.
"""

from __future__ import annotations

import secrets
from typing import Literal

from hustings.auth.model import User
from hustings.clock import Clock
from hustings.errors import Conflict, InvalidInput
from hustings.events import Event, EventLog, Status, user_actor
from hustings.messages.events import SUBJECT
from hustings.moderation.decisions import item_statement
from hustings.moderation.events import APPEAL_DECIDED, APPEAL_FILED, Action, AppealDecided, AppealFiled
from hustings.moderation.policy import Policy, load_policy
from hustings.moderation.reasons import dsa_puid, statement_required
from hustings.moderation.status import ItemState
from hustings.moderation.work import load_item

MAX_REASON = 5000


def file_appeal(
    log: EventLog, clock: Clock, *, message_id: str, recorded_by: User, reason: str
) -> tuple[str, Status]:
    """Record the author's appeal against an actioned item; once per item. Returns (appeal id, status)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason: give the author's grounds for appeal")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters")
    item = load_item(log, message_id)
    if item.data.get("appeal"):
        raise Conflict(f"message_id: item {message_id} has already been appealed; an item is appealed once")
    if item.state != ItemState.DECIDED:
        raise Conflict(f"message_id: item {message_id} is {item.state}; only a decided item can be appealed")
    action = str(item.data.get("action_in_force", ""))
    if action == Action.NO_ACTION:
        raise Conflict(
            f"message_id: no action was taken on {message_id}, so its author has nothing to appeal"
        )
    appeal_id = "a_" + secrets.token_hex(8)
    payload: AppealFiled = {
        "appeal_id": appeal_id,
        "appellant_id": str(item.data.get("author_id", "")),
        "reason": reason,
    }
    status = log.append(
        Event(
            kind=APPEAL_FILED,
            subject_type=SUBJECT,
            subject_id=message_id,
            actor=user_actor(recorded_by.id),
            occurred_at=clock.now(),
            idempotency_key=f"{APPEAL_FILED}:{message_id}",
            reason="the author appealed",
            payload=dict(payload),
        )
    )
    return appeal_id, status


def decide_appeal(
    log: EventLog,
    clock: Clock,
    *,
    moderator: User,
    message_id: str,
    outcome: Literal["upheld", "reversed"],
    reasons: str,
    new_action: Action | None = None,
    policy: Policy | None = None,
) -> Status:
    """Decide an appeal. The moderator who made the original decision may not decide it."""
    policy = policy or load_policy()
    reasons = reasons.strip()
    if not reasons:
        raise InvalidInput("reasons: explain the outcome of the appeal")
    if len(reasons) > MAX_REASON:
        raise InvalidInput(f"reasons: at most {MAX_REASON} characters")
    if outcome not in {"upheld", "reversed"}:
        raise InvalidInput("outcome: must be upheld or reversed")
    item = load_item(log, message_id)
    appealed = item.state == ItemState.APPEALED or (
        item.state == ItemState.CLAIMED and item.data.get("return_state") == ItemState.APPEALED
    )
    if not appealed:
        raise Conflict(f"message_id: item {message_id} has no appeal waiting")
    if item.state == ItemState.CLAIMED and item.assignee != moderator.id:
        raise Conflict(f"message_id: the appeal on {message_id} is claimed by another moderator")
    if item.data.get("decided_by") == moderator.id:
        raise Conflict(
            f"message_id: you made the decision under appeal on {message_id}; a different moderator decides the appeal"
        )
    decision = item.data.get("decision") or {}
    original = Action(str(item.data.get("action_in_force") or decision.get("action")))
    if outcome == "upheld":
        action = original
    else:
        action = new_action or Action.NO_ACTION
        if action == original:
            raise InvalidInput(
                "new_action: a reversed appeal needs an action different from the one appealed"
            )
    statement: dict[str, object] | None = None
    if outcome == "reversed" and statement_required(action):
        rule = policy.rule(str(decision.get("policy_rule")))
        if rule.ground == "none":
            raise InvalidInput(f"new_action: rule {rule.id} finds no breach, so only no_action can follow")
        statement = item_statement(
            item,
            puid=dsa_puid(str((item.data.get("appeal") or {}).get("appeal_id")), message_id),
            action=action,
            rule=rule,
            policy=policy,
            facts=reasons,
            now=clock.now(),
        )
    appeal = item.data.get("appeal") or {}
    payload: AppealDecided = {
        "appeal_id": str(appeal.get("appeal_id", "")),
        "outcome": outcome,
        "new_action": action.value,
        "moderator_id": moderator.id,
        "reasons": reasons,
        "statement": statement,
    }
    return log.append(
        Event(
            kind=APPEAL_DECIDED,
            subject_type=SUBJECT,
            subject_id=message_id,
            actor=user_actor(moderator.id),
            occurred_at=clock.now(),
            idempotency_key=f"{APPEAL_DECIDED}:{payload['appeal_id']}",
            reason=f"appeal {outcome}: {reasons[:200]}",
            payload=dict(payload),
        )
    )
