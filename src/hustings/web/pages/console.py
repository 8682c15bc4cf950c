"""The moderation console: queues, the item page with its context, and the decision form.

Forms post back here and redirect (303) to the next page to show; an expected failure (someone
else claimed the item, a rule that does not fit the action) comes back as a message on the item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.elections.queues import narrow_queue
from hustings.errors import HustingsError, InvalidInput
from hustings.moderation.decisions import DecisionRequest, default_facts
from hustings.moderation.events import Action
from hustings.moderation.policy import Policy
from hustings.moderation.queues import all_queues, describe_lane, describe_time_left, queue, time_left
from hustings.moderation.status import ItemState
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import savepoint
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/console", include_in_schema=False)
ConsoleUser = Annotated[Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE))]
Moderator = Annotated[Principal, Depends(allow(Role.MODERATOR))]
Sorter = Annotated[Principal, Depends(allow(Role.MODERATOR, Role.TRIAGE))]
NAV = [NavItem("Console", "/console", frozenset({Role.ADMIN, Role.MODERATOR, Role.TRIAGE}), order=20)]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _item_path(
    message_id: str, queue_name: str, settings: Settings | None = None, *, notice: str = "", error: str = ""
) -> str:
    """The item page; a notice or error rides along signed (see `flash`), so links cannot forge one."""
    query = {"queue": queue_name}
    if settings is not None:
        query |= flash(settings, notice=notice, error=error)
    return f"/console/items/{quote(message_id)}?{urlencode(query)}"


@router.get("")
def console_home(principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    counts = services.moderation.queue_counts(reader_id=principal.user.id)
    return render(request, "console/index.html", {"queues": all_queues(), "counts": counts})


@router.get("/queues/{name}")
def queue_page(name: str, principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    params = request.query_params
    election, ballot = params.get("election") or None, params.get("ballot") or None
    spec = narrow_queue(services.elections, queue(name), election_id=election, ballot_id=ballot)
    now = services.clock.now()
    page = services.moderation.queue_page(spec, reader_id=principal.user.id, limit=50)
    texts = services.moderation.texts([entry.status.subject_id for entry in page])
    rows = [
        {
            "status": entry.status,
            "priority": entry.priority,
            "time_left": describe_time_left(time_left(entry.status, now)),
            "lane": describe_lane(entry.status, now),
            "overdue": entry.status.due_at is not None and entry.status.due_at <= now,
            "text": texts.get(entry.status.subject_id, ""),
            "flagged": bool(entry.status.data.get("flagged")) or entry.status.category not in {None, "other"},
        }
        for entry in page
    ]
    return render(
        request,
        "console/queue.html",
        {
            "spec": spec,
            "rows": rows,
            "empty": params.get("empty") == "1",
            "elections": services.elections.all(),
        },
    )


@router.get("/queues/{name}/next")
def next_item(name: str, principal: ConsoleUser, services: ServicesDep) -> Response:
    """The first item of the queue this moderator has not skipped."""
    spec = queue(name)
    entry = services.moderation.next_item(spec, reader_id=principal.user.id)
    if entry is None:
        return _see_other(f"/console/queues/{quote(name)}?empty=1")
    return _see_other(_item_path(entry.status.subject_id, name))


def _rule_defaults(policy: Policy, severity: float) -> dict[str, str]:
    return {rule.id: policy.default_action(rule, severity).value for rule in policy.rules}


@router.get("/items/{message_id}")
def item_page(message_id: str, principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    context = services.moderation.item_context(message_id)
    params = request.query_params
    notice, error = read_flash(
        services.settings, params.get("notice", ""), params.get("error", ""), params.get("sig", "")
    )
    policy = services.moderation.policy
    status = context.status
    severity = float(status.data.get("severity") or 0.0)
    undecided = [m for m in context.cluster if not m.data.get("decision")]
    return render(
        request,
        "console/item.html",
        {
            "c": context,
            "status": status,
            "policy": policy,
            "actions": [action.value for action in Action],
            "rule_defaults": _rule_defaults(policy, severity),
            "facts": {rule.id: default_facts(status, rule) for rule in policy.rules},
            "time_left_words": describe_time_left(context.time_left),
            "lane_words": describe_lane(status, services.clock.now()),
            "queue_name": request.query_params.get("queue", "unreviewed"),
            "notice": notice,
            "error": error,
            "mine": status.state == ItemState.CLAIMED and status.assignee == principal.user.id,
            "claimed_by_other": status.state == ItemState.CLAIMED and status.assignee != principal.user.id,
            "is_appeal": status.state == ItemState.APPEALED
            or (status.state == ItemState.CLAIMED and status.data.get("return_state") == ItemState.APPEALED),
            "can_decide": Role.MODERATOR in principal.user.roles,
            "undecided_cluster": len(undecided),
            "refer": services.platform_referrals.prefill(message_id, context.message.source),
            "reader_id": principal.user.id,
            "notes": services.notes.of("message", message_id),
            "names": {u.id: u.display_name or u.name for u in services.users.all()},
        },
    )


def _act(
    services: Services, message_id: str, queue_name: str, action: str, step: Callable[[], str | None]
) -> Response:
    """Run a console step and go where it says (or back to the item); show an expected failure there,
    with what the step wrote undone."""
    try:
        with savepoint(services.session):
            result = step()
    except HustingsError as error:
        return _see_other(_item_path(message_id, queue_name, services.settings, error=str(error)))
    if isinstance(result, str):
        return _see_other(result)
    return _see_other(_item_path(message_id, queue_name, services.settings, notice=action))


@router.post("/items/{message_id}/claim")
def claim(
    message_id: str,
    principal: Moderator,
    services: ServicesDep,
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    def step() -> None:
        services.moderation.claim(moderator=principal.user, message_id=message_id)

    return _act(services, message_id, queue_name, "claimed", step)


@router.post("/items/{message_id}/release")
def release(
    message_id: str,
    principal: Moderator,
    services: ServicesDep,
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    def step() -> None:
        services.moderation.release(moderator=principal.user, message_id=message_id)

    return _act(services, message_id, queue_name, "released", step)


@router.post("/items/{message_id}/skip")
def skip(
    message_id: str,
    principal: Moderator,
    services: ServicesDep,
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    def step() -> str:
        services.moderation.skip(moderator=principal.user, message_id=message_id)
        return f"/console/queues/{quote(queue_name)}/next"

    return _act(services, message_id, queue_name, "skipped", step)


@router.post("/items/{message_id}/escalate")
def escalate(
    message_id: str,
    principal: Sorter,
    services: ServicesDep,
    reason: Annotated[str, Form()],
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    def step() -> str:
        services.moderation.escalate(moderator=principal.user, message_id=message_id, reason=reason)
        return f"/console/queues/{quote(queue_name)}/next"

    return _act(services, message_id, queue_name, "escalated", step)


@router.post("/items/{message_id}/decide")
def decide_item(
    message_id: str,
    principal: Moderator,
    services: ServicesDep,
    action: Annotated[str, Form()],
    policy_rule: Annotated[str, Form()],
    decision_facts: Annotated[str, Form()] = "",
    apply_to_cluster: Annotated[bool, Form()] = False,
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    def step() -> str:
        try:
            chosen = Action(action)
        except ValueError:
            raise InvalidInput(
                f"action: {action!r} is not one of {', '.join(a.value for a in Action)}"
            ) from None
        outcome = services.moderation.decide(
            moderator=principal.user,
            request=DecisionRequest(
                message_id=message_id,
                action=chosen,
                policy_rule=policy_rule,
                decision_facts=decision_facts,
                apply_to_cluster=apply_to_cluster,
            ),
        )
        notice = f"decided: {chosen.value} under {outcome.policy_rule} on {len(outcome.decided)} message(s)"
        if outcome.skipped:
            notice += f"; {len(outcome.skipped)} cluster member(s) left alone"
        return _item_path(message_id, queue_name, services.settings, notice=notice)

    return _act(services, message_id, queue_name, "decided", step)


@router.post("/items/{message_id}/appeal")
def record_appeal(
    message_id: str,
    principal: ConsoleUser,
    services: ServicesDep,
    reason: Annotated[str, Form()],
    queue_name: Annotated[str, Form(alias="queue")] = "appealed",
) -> Response:
    def step() -> None:
        services.moderation.file_appeal(message_id=message_id, recorded_by=principal.user, reason=reason)

    return _act(services, message_id, queue_name, "appeal recorded", step)


@router.post("/items/{message_id}/appeal-decision")
def appeal_decision(
    message_id: str,
    principal: Moderator,
    services: ServicesDep,
    outcome: Annotated[str, Form()],
    reasons: Annotated[str, Form()],
    new_action: Annotated[str, Form()] = "",
    queue_name: Annotated[str, Form(alias="queue")] = "appealed",
) -> Response:
    def step() -> None:
        if outcome not in {"upheld", "reversed"}:
            raise InvalidInput("outcome: must be upheld or reversed")
        try:
            chosen = Action(new_action) if new_action else None
        except ValueError:
            raise InvalidInput(f"new_action: {new_action!r} is not an action") from None
        services.moderation.decide_appeal(
            moderator=principal.user,
            message_id=message_id,
            outcome="upheld" if outcome == "upheld" else "reversed",
            reasons=reasons,
            new_action=chosen,
        )

    return _act(services, message_id, queue_name, "appeal decided", step)
