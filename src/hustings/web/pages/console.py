"""The moderation console: queues, the item page with its context, the decision form, batch
decisions, assigning to a colleague, and the team view.

Forms post back here and redirect (303) to the next page to show; an expected failure (someone
else claimed the item) comes back as a message on the item. The decision and appeal forms come
back with what was typed and the message beside the field at fault. A decision on many messages
(a whole cluster, or rows selected on a queue) first shows what it would decide, grouped by text,
and asks to confirm the count; release, skip and escalate offer an undo (an event that reverses
them) on the page they lead to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings import wording
from hustings.auth.model import Principal, Role
from hustings.elections.queues import narrow_queue
from hustings.errors import HustingsError, InvalidInput
from hustings.events import Event
from hustings.moderation.decisions import DecisionRequest, default_facts
from hustings.moderation.events import DECISION_MADE, Action
from hustings.moderation.policy import Policy
from hustings.moderation.queues import (
    QueueSearch,
    all_queues,
    describe_lane,
    describe_time_left,
    queue,
    time_left,
)
from hustings.moderation.reports import CATEGORIES
from hustings.moderation.status import ItemState
from hustings.protection.events import IncidentState
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import savepoint
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.forms import FormErrors, form_errors, in_words
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/console", include_in_schema=False)
ConsoleUser = Annotated[Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE))]
Moderator = Annotated[Principal, Depends(allow(Role.MODERATOR))]
Sorter = Annotated[Principal, Depends(allow(Role.MODERATOR, Role.TRIAGE))]
NAV = [NavItem("Console", "/console", frozenset({Role.ADMIN, Role.MODERATOR, Role.TRIAGE}), order=20)]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


PAGE_ROWS = 50
MEMBER_GROUPS = 20
"""Groups of a cluster's texts shown on the item page at a time."""
DECISION_FIELDS = {
    "action": "action",
    "policy_rule": "policy_rule",
    "decision_facts": "decision_facts",
    "apply_to_cluster": "apply_to_cluster",
}
APPEAL_FIELDS = {"outcome": "outcome", "new_action": "new_action", "reasons": "reasons"}
BATCH_FIELDS = {"message_ids": "message_ids", "action": "action", "policy_rule": "policy_rule"}
UNDO_WORDS = {"release": "Release", "skip": "Skip", "escalate": "Escalation"}


def _item_path(
    message_id: str,
    queue_name: str,
    settings: Settings | None = None,
    *,
    notice: str = "",
    error: str = "",
    undo: str = "",
) -> str:
    """The item page; a notice or error rides along signed (see `flash`), so links cannot forge one.
    `undo` names an item whose last step the page offers to take back (checked against the log)."""
    query = {"queue": queue_name}
    if settings is not None:
        query |= flash(settings, notice=notice, error=error)
    if undo:
        query["undo"] = undo
    return f"/console/items/{quote(message_id)}?{urlencode(query)}"


def _queue_path(name: str, settings: Settings, *, notice: str = "", undo: str = "") -> str:
    query = flash(settings, notice=notice)
    if undo:
        query["undo"] = undo
    return f"/console/queues/{quote(name)}/next?{urlencode(query)}"


def _chosen_action(value: str, field: str = "action") -> Action:
    if not value:
        raise InvalidInput(f"{field}: choose an action")
    try:
        return Action(value)
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not one of the actions offered") from None


def _names(services: Services) -> dict[str, str]:
    return {user.id: user.display_name or user.name for user in services.users.all()}


def _colleagues(services: Services, principal: Principal) -> list[tuple[str, str]]:
    """Moderators an item can be handed to, by name."""
    return sorted(
        (
            (user.display_name or user.name, user.id)
            for user in services.users.all()
            if Role.MODERATOR in user.roles and not user.disabled and user.id != principal.user.id
        ),
    )


def _undo_offer(services: Services, principal: Principal, message_id: str) -> dict[str, str] | None:
    """The undo the page offers for `message_id`, if the log still allows it."""
    if not message_id or Role.MODERATOR not in principal.user.roles:
        return None
    try:
        what = services.moderation.undoable(moderator=principal.user, message_id=message_id)
    except HustingsError:
        return None
    return None if what is None else {"message_id": message_id, "what": what, "words": UNDO_WORDS[what]}


def _when(moment: datetime | str | None) -> dict[str, str] | None:
    """A time for a `<time>` element: ISO in its ``datetime`` attribute, and the words shown
    (`hustings.wording.when`: local time, the one format of every page)."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return None
    if moment is None:
        return None
    return {"iso": moment.isoformat(), "words": wording.when(moment)}


STATEMENT_LABELS = (
    ("decision_visibility", "What happened to the content"),
    ("decision_account", "What happened to the account"),
    ("decision_ground", "Ground"),
    ("illegal_content_legal_ground", "Law relied on"),
    ("illegal_content_explanation", "Why it is illegal"),
    ("incompatible_content_ground", "Terms relied on"),
    ("incompatible_content_explanation", "Why it breaks the terms"),
    ("decision_facts", "Facts relied on"),
    ("category", "Category"),
    ("automated_detection", "Detected by automated means"),
    ("automated_decision", "Decided by automated means"),
    ("source_type", "How we learned of it"),
    ("territorial_scope", "Where it applies"),
    ("content_date", "Content date"),
    ("application_date", "Applied on"),
    ("puid", "Statement id"),
)


def _words(value: object) -> str:
    """A statement's value in words: DSA constants lose their prefix and capitals."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_words(part) for part in value)
    text = str(value)
    if text.isupper() and "_" in text:
        for prefix in (
            "DECISION_VISIBILITY_",
            "DECISION_ACCOUNT_",
            "DECISION_GROUND_",
            "STATEMENT_CATEGORY_",
            "SOURCE_",
            "AUTOMATED_DECISION_",
            "KEYWORD_",
            "CONTENT_TYPE_",
        ):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        return text.replace("_", " ").lower()
    return text


def statement_lines(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The statement of reasons, field by field, in words and in a reader's order."""
    lines = [
        (label, _words(statement[key]))
        for key, label in STATEMENT_LABELS
        if statement.get(key) not in (None, "", [])
    ]
    if isinstance(statement.get("territorial_scope"), list) and len(statement["territorial_scope"]) > 8:
        lines = [
            (label, f"{len(statement['territorial_scope'])} states of the EEA")
            if label == "Where it applies"
            else (label, value)
            for label, value in lines
        ]
    return lines


def _decision_record(timeline: list[Event], names: Mapping[str, str]) -> dict[str, Any] | None:
    """The decision in force as the item page shows it: who, when, and its statement."""
    made = [event for event in timeline if event.kind == DECISION_MADE]
    if not made:
        return None
    event = made[-1]
    statement = event.payload.get("statement") or {}
    moderator = str(event.payload.get("moderator_id", ""))
    return {
        "action": str(event.payload.get("action", "")),
        "rule": str(event.payload.get("policy_rule", "")),
        "version": str(event.payload.get("policy_version", "")),
        "by": names.get(moderator, "a moderator no longer listed"),
        "by_id": moderator,
        "when": _when(event.occurred_at),
        "statement": statement_lines(statement) if isinstance(statement, dict) else [],
        "cluster": event.payload.get("cluster_id"),
    }


@router.get("")
def console_home(principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    counts = services.moderation.queue_counts(reader_id=principal.user.id)
    held = sum(len(items) for items in services.moderation.team().values())
    return render(request, "console/index.html", {"queues": all_queues(), "counts": counts, "held": held})


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: give a date as year-month-day, e.g. 2026-12-08") from None


def _search(params: Mapping[str, str]) -> tuple[QueueSearch, FormErrors]:
    """The queue's search from the query string; a date it cannot read is reported beside its
    field and left out, and the rest still applies."""
    found: dict[str, date | None] = {}
    errors: dict[str, str] = {}
    for name in ("since", "until"):
        try:
            found[name] = _day(params.get(name, "").strip(), name)
        except InvalidInput as error:
            errors |= form_errors(error, {name: name}).fields
            found[name] = None
    label = params.get("label", "").strip() or None
    if label is not None and label not in CATEGORIES:
        errors["label"] = "Choose one of the labels offered."
        label = None
    search = QueueSearch(
        target_id=params.get("target", "").strip() or None,
        author=params.get("author", "").strip()[:200] or None,
        label=label,
        text=params.get("text", "").strip()[:200] or None,
        since=found["since"],
        until=found["until"],
        zone=wording.zone(),
    )
    return search, FormErrors(fields=errors)


def _offset(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 100_000))
    except ValueError:
        return 0


def _target_names(services: Services) -> dict[str, str]:
    return {target.id: target.name for target in services.targets.all()}


@router.get("/queues/{name}")
def queue_page(name: str, principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    params = request.query_params
    election, ballot = params.get("election") or None, params.get("ballot") or None
    spec = narrow_queue(services.elections, queue(name), election_id=election, ballot_id=ballot)
    search, search_errors = _search(params)
    spec = replace(spec, search=search)
    now = services.clock.now()
    offset = _offset(params.get("offset"))
    per_page = max(1, min(_offset(params.get("per_page")) or PAGE_ROWS, 200))
    page, next_offset = services.moderation.queue_rows(
        spec, reader_id=principal.user.id, limit=per_page, offset=offset
    )
    texts = services.moderation.texts([row.lead.status.subject_id for row in page])
    targets = _target_names(services)
    names = _names(services)
    rows = []
    for row in page:
        status = row.lead.status
        rows.append(
            {
                "status": status,
                "priority": row.lead.priority,
                "count": row.count,
                "ids": " ".join(row.message_ids),
                "time_left": describe_time_left(time_left(status, now)),
                "lane": describe_lane(status, now),
                "overdue": status.due_at is not None and status.due_at <= now,
                "text": texts.get(status.subject_id, ""),
                "target": targets.get(status.target_id or "", ""),
                "holder": names.get(status.assignee or "", "") if status.assignee else "",
                "flagged": bool(status.data.get("flagged")) or status.category not in {None, "other"},
            }
        )
    kept = {
        key: value
        for key, value in params.items()
        if key not in {"offset", "notice", "error", "sig", "undo"} and value
    }
    notice, error = read_flash(
        services.settings, params.get("notice", ""), params.get("error", ""), params.get("sig", "")
    )
    policy = services.moderation.policy
    return render(
        request,
        "console/queue.html",
        {
            "spec": spec,
            "rows": rows,
            "empty": params.get("empty") == "1",
            "elections": services.elections.all(),
            "targets": sorted(targets.items(), key=lambda pair: pair[1]),
            "labels": CATEGORIES,
            "search": search,
            "search_errors": search_errors,
            "zone": wording.zone_name(),
            "params": params,
            "next_link": None if next_offset is None else f"?{urlencode({**kept, 'offset': next_offset})}",
            "first_link": f"?{urlencode(kept)}" if offset else None,
            "offset": offset,
            "policy": policy,
            "actions": [action.value for action in Action],
            "can_decide": Role.MODERATOR in principal.user.roles,
            "notice": notice,
            "error": error,
            "undo": _undo_offer(services, principal, params.get("undo", "")),
        },
    )


@router.get("/queues/{name}/next")
def next_item(name: str, principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    """The first item of the queue this moderator has not skipped; a notice and an undo offer
    from the step that led here ride along."""
    spec = queue(name)
    params = request.query_params
    notice, _ = read_flash(services.settings, params.get("notice", ""), "", params.get("sig", ""))
    undo = params.get("undo", "")
    entry = services.moderation.next_item(spec, reader_id=principal.user.id)
    if entry is None:
        query = {"empty": "1", **flash(services.settings, notice=notice), **({"undo": undo} if undo else {})}
        return _see_other(f"/console/queues/{quote(name)}?{urlencode(query)}")
    return _see_other(_item_path(entry.status.subject_id, name, services.settings, notice=notice, undo=undo))


@router.get("/team")
def team_page(principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    """Who holds what: every claimed item, by the moderator holding it."""
    names = _names(services)
    held = services.moderation.team()
    texts = services.moderation.texts([e.status.subject_id for entries in held.values() for e in entries])
    now = services.clock.now()
    people = [
        {
            "name": names.get(assignee, "a moderator no longer listed"),
            "you": assignee == principal.user.id,
            "held": [
                {
                    "status": entry.status,
                    "text": texts.get(entry.status.subject_id, ""),
                    "since": _when(entry.status.data.get("claimed_at")),
                    "time_left": describe_time_left(time_left(entry.status, now)),
                }
                for entry in entries
            ],
        }
        for assignee, entries in held.items()
    ]
    people.sort(key=lambda person: (not person["you"], str(person["name"])))
    return render(request, "console/team.html", {"people": people})


def _rule_defaults(policy: Policy, severity: float) -> dict[str, str]:
    return {rule.id: policy.default_action(rule, severity).value for rule in policy.rules}


def _item_view(
    request: Request,
    services: Services,
    principal: Principal,
    message_id: str,
    *,
    form: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    appeal_form: Mapping[str, str] | None = None,
    appeal_errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = services.moderation.item_context(message_id)
    params = request.query_params
    notice, error = read_flash(
        services.settings, params.get("notice", ""), params.get("error", ""), params.get("sig", "")
    )
    policy = services.moderation.policy
    status = context.status
    severity = float(status.data.get("severity") or 0.0)
    undecided = [m for m in context.cluster if not m.data.get("decision")]
    names = _names(services)
    user = principal.user
    is_appeal = status.state == ItemState.APPEALED or (
        status.state == ItemState.CLAIMED and status.data.get("return_state") == ItemState.APPEALED
    )
    mine = status.state == ItemState.CLAIMED and status.assignee == user.id
    claimed_by_other = status.state == ItemState.CLAIMED and status.assignee != user.id
    moderator = Role.MODERATOR in user.roles
    appeal_refusal = ""
    if is_appeal and moderator:
        if status.data.get("decided_by") == user.id:
            appeal_refusal = (
                "You made the decision under appeal, so a different moderator decides the appeal."
            )
        elif claimed_by_other:
            appeal_refusal = f"{names.get(status.assignee or '', 'Another moderator')} holds this appeal."
    target_name = ", ".join(name.split(" (")[0] for name in context.target_names.values())
    groups = services.moderation.cluster_groups(status.cluster_id) if status.cluster_id else []
    group_from = _offset(params.get("members_from"))
    incidents = []
    if status.target_id and (moderator or Role.ADMIN in user.roles):
        incidents = [
            i
            for i in services.protection.incidents([status.target_id], state=IncidentState.OPEN, limit=5)
            if message_id in (i.data.get("message_ids") or [])
        ] or services.protection.incidents([status.target_id], state=IncidentState.OPEN, limit=1)
    decided = status.state in {ItemState.DECIDED, ItemState.APPEAL_DECIDED} or (is_appeal and not mine)
    open_states = {
        ItemState.INGESTED,
        ItemState.ASSESSED,
        ItemState.REPORTED,
        ItemState.CLAIMED,
        ItemState.ESCALATED,
    }
    form = dict(form or {})
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
            "templates": {
                rule.id: [(t.title, t.filled(target_name)) for t in rule.reason_templates]
                for rule in policy.rules
            },
            "form": form,
            "errors": errors or FormErrors(),
            "appeal_form": dict(appeal_form or {}),
            "appeal_errors": appeal_errors or FormErrors(),
            "time_left_words": describe_time_left(context.time_left),
            "lane_words": describe_lane(status, services.clock.now()),
            "queue_name": request.query_params.get("queue", "unreviewed"),
            "notice": notice,
            "error": error,
            "mine": mine,
            "claimed_by_other": claimed_by_other,
            "holder": names.get(status.assignee or "", "another moderator") if claimed_by_other else "",
            "is_appeal": is_appeal,
            "appeal_refusal": appeal_refusal,
            "can_decide": moderator,
            "in_queue": status.state in open_states or is_appeal,
            "decidable": moderator and status.state in open_states and not is_appeal,
            "clock_stopped": status.state not in {ItemState.REPORTED, ItemState.CLAIMED, ItemState.ESCALATED}
            or is_appeal,
            "undecided_cluster": len(undecided),
            "decision": _decision_record(context.timeline, names),
            "appeal_by": names.get(str(status.data.get("appeal_decided_by", "")), ""),
            "appeal_when": _when((status.data.get("appeal_outcome") or {}).get("decided_at")),
            "groups": groups[group_from : group_from + MEMBER_GROUPS],
            "group_total": len(groups),
            "group_from": group_from,
            "group_next": group_from + MEMBER_GROUPS if group_from + MEMBER_GROUPS < len(groups) else None,
            "member_total": sum(group.count for group in groups),
            "colleagues": _colleagues(services, principal) if moderator else [],
            "incidents": incidents,
            "refer": services.platform_referrals.prefill(message_id, context.message.source),
            "reader_id": user.id,
            "notes": services.notes.of("message", message_id),
            "names": names,
            "undo": _undo_offer(services, principal, params.get("undo", "")),
            "decided": decided,
        },
        status_code=status_code,
    )


@router.get("/items/{message_id}")
def item_page(message_id: str, principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    return _item_view(request, services, principal, message_id)


def _sentence(error: str) -> str:
    """A domain error for the top of a page: its field name dropped, in words, as a sentence."""
    words = in_words(error.split(": ", 1)[-1])
    return words[:1].upper() + words[1:]


def _act(
    services: Services, message_id: str, queue_name: str, action: str, step: Callable[[], str | None]
) -> Response:
    """Run a console step and go where it says (or back to the item); show an expected failure there,
    with what the step wrote undone."""
    try:
        with savepoint(services.session):
            result = step()
    except HustingsError as error:
        return _see_other(_item_path(message_id, queue_name, services.settings, error=_sentence(str(error))))
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

    return _act(
        services,
        message_id,
        queue_name,
        "Claimed: the item is yours until you decide, release or skip it.",
        step,
    )


@router.post("/items/{message_id}/release")
def release(
    message_id: str,
    principal: Moderator,
    services: ServicesDep,
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    def step() -> str:
        services.moderation.release(moderator=principal.user, message_id=message_id)
        return _item_path(
            message_id,
            queue_name,
            services.settings,
            notice="Released: the item is back in its queue for anyone to take.",
            undo=message_id,
        )

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
        return _queue_path(
            queue_name,
            services.settings,
            notice=f"Skipped item {message_id}: it stays in the queue for others, and Next will not offer it to you.",
            undo=message_id,
        )

    return _act(services, message_id, queue_name, "skipped", step)


@router.post("/items/{message_id}/escalate")
def escalate(
    message_id: str,
    principal: Sorter,
    services: ServicesDep,
    reason: Annotated[str, Form()] = "",
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    def step() -> str:
        services.moderation.escalate(moderator=principal.user, message_id=message_id, reason=reason)
        return _queue_path(
            queue_name,
            services.settings,
            notice=f"Escalated item {message_id} to the senior moderators' queue.",
            undo=message_id,
        )

    return _act(services, message_id, queue_name, "escalated", step)


@router.post("/items/{message_id}/undo")
def undo(
    message_id: str,
    principal: Moderator,
    services: ServicesDep,
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    """Take back this moderator's last release, skip or escalation of the item, with an event."""

    def step() -> str:
        what = services.moderation.undo(moderator=principal.user, message_id=message_id)
        return _item_path(message_id, queue_name, services.settings, notice=f"{UNDO_WORDS[what]} undone.")

    return _act(services, message_id, queue_name, "undone", step)


@router.post("/items/{message_id}/assign")
def assign(
    message_id: str,
    principal: Moderator,
    services: ServicesDep,
    colleague: Annotated[str, Form()] = "",
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    """Hand the item to a named colleague; it shows as theirs in the team view."""

    def step() -> str:
        other = services.users.get(colleague) if colleague else None
        if other is None:
            raise InvalidInput("colleague: choose a colleague to hand the item to")
        services.moderation.assign(moderator=principal.user, colleague=other, message_id=message_id)
        return _item_path(
            message_id,
            queue_name,
            services.settings,
            notice=f"Assigned to {other.display_name or other.name}.",
        )

    return _act(services, message_id, queue_name, "assigned", step)


def _decision_notice(action: Action, rule: str, decided: int, skipped: int) -> str:
    notice = (
        f"Decided: {action.value.replace('_', ' ')} under rule {rule} on {decided} message{'s' if decided != 1 else ''}. "
        "A decision cannot be undone; the author can appeal it."
    )
    if skipped:
        notice += f" {skipped} left alone (decided already, or held by someone else)."
    return notice


@router.post("/items/{message_id}/decide")
def decide_item(
    message_id: str,
    principal: Moderator,
    request: Request,
    services: ServicesDep,
    action: Annotated[str, Form()] = "",
    policy_rule: Annotated[str, Form()] = "",
    decision_facts: Annotated[str, Form()] = "",
    template: Annotated[str, Form()] = "",
    apply_to_cluster: Annotated[bool, Form()] = False,
    confirm_count: Annotated[str, Form()] = "",
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    """Record a decision; on the whole cluster, first show what it would decide and ask to
    confirm the count. A refused form comes back as typed, the message beside its field."""
    typed = {
        "action": action,
        "policy_rule": policy_rule,
        "decision_facts": decision_facts or template,
        "apply_to_cluster": "true" if apply_to_cluster else "",
    }
    try:
        chosen = _chosen_action(action)
        if not policy_rule:
            raise InvalidInput("policy_rule: choose the policy rule the decision applies")
        rule = services.moderation.policy.rule(policy_rule)
        facts = decision_facts.strip() or template.strip()
        if apply_to_cluster:
            chosen_items, groups = services.moderation.cluster_preview(
                moderator=principal.user, message_id=message_id
            )
            if confirm_count != str(len(chosen_items)):
                return render(
                    request,
                    "console/confirm.html",
                    {
                        "count": len(chosen_items),
                        "changed": bool(confirm_count),
                        "action": chosen.value,
                        "rule": rule,
                        "groups": groups,
                        "post_to": f"/console/items/{quote(message_id)}/decide",
                        "fields": {
                            **typed,
                            "decision_facts": facts,
                            "apply_to_cluster": "true",
                            "queue": queue_name,
                        },
                        "ids": [],
                        "back": _item_path(message_id, queue_name),
                        "left": {},
                    },
                )
        with savepoint(services.session):
            outcome = services.moderation.decide(
                moderator=principal.user,
                request=DecisionRequest(
                    message_id=message_id,
                    action=chosen,
                    policy_rule=policy_rule,
                    decision_facts=facts,
                    apply_to_cluster=apply_to_cluster,
                    expected_count=int(confirm_count) if apply_to_cluster else None,
                ),
            )
    except HustingsError as error:
        errors = form_errors(error, DECISION_FIELDS)
        return _item_view(
            request, services, principal, message_id, form=typed, errors=errors, status_code=error.status_code
        )
    notice = _decision_notice(chosen, outcome.policy_rule, len(outcome.decided), len(outcome.skipped))
    return _see_other(_item_path(message_id, queue_name, services.settings, notice=notice))


@router.post("/batch")
def batch_decide(
    principal: Moderator,
    request: Request,
    services: ServicesDep,
    message_ids: Annotated[list[str], Form()] = [],  # noqa: B006  # FastAPI copies a Form default
    action: Annotated[str, Form()] = "",
    policy_rule: Annotated[str, Form()] = "",
    decision_facts: Annotated[str, Form()] = "",
    confirm_count: Annotated[str, Form()] = "",
    queue_name: Annotated[str, Form(alias="queue")] = "unreviewed",
) -> Response:
    """Decide the rows selected on a queue page together: first what it would decide, grouped by
    text, with the count to confirm; then the decision."""
    ids = [part for value in message_ids for part in value.split() if part]
    back = f"/console/queues/{quote(queue_name)}"
    try:
        chosen = _chosen_action(action)
        if not policy_rule:
            raise InvalidInput("policy_rule: choose the policy rule the decision applies")
        rule = services.moderation.policy.rule(policy_rule)
        items, left, groups = services.moderation.batch_preview(moderator=principal.user, message_ids=ids)
        if not items:
            raise InvalidInput("message_ids: none of the selected items can be decided by you now")
        if confirm_count != str(len(items)):
            return render(
                request,
                "console/confirm.html",
                {
                    "count": len(items),
                    "changed": bool(confirm_count),
                    "action": chosen.value,
                    "rule": rule,
                    "groups": groups,
                    "post_to": "/console/batch",
                    "fields": {
                        "action": action,
                        "policy_rule": policy_rule,
                        "decision_facts": decision_facts,
                        "queue": queue_name,
                    },
                    "ids": [item.subject_id for item in items],
                    "back": back,
                    "left": left,
                },
            )
        with savepoint(services.session):
            outcome = services.moderation.decide_batch(
                moderator=principal.user,
                message_ids=[item.subject_id for item in items],
                action=chosen,
                policy_rule=policy_rule,
                decision_facts=decision_facts,
            )
    except HustingsError as error:
        problem = form_errors(error, BATCH_FIELDS)
        message = problem.general or " ".join(problem.fields.values())
        return _see_other(f"{back}?{urlencode(flash(services.settings, error=message))}")
    notice = _decision_notice(chosen, outcome.policy_rule, len(outcome.decided), len(outcome.skipped))
    return _see_other(f"{back}?{urlencode(flash(services.settings, notice=notice))}")


@router.post("/items/{message_id}/appeal")
def record_appeal(
    message_id: str,
    principal: ConsoleUser,
    services: ServicesDep,
    reason: Annotated[str, Form()] = "",
    queue_name: Annotated[str, Form(alias="queue")] = "appealed",
) -> Response:
    def step() -> None:
        services.moderation.file_appeal(message_id=message_id, recorded_by=principal.user, reason=reason)

    return _act(
        services,
        message_id,
        queue_name,
        "Appeal recorded: it waits in the appealed queue for a different moderator.",
        step,
    )


@router.post("/items/{message_id}/appeal-decision")
def appeal_decision(
    message_id: str,
    principal: Moderator,
    request: Request,
    services: ServicesDep,
    outcome: Annotated[str, Form()] = "",
    reasons: Annotated[str, Form()] = "",
    new_action: Annotated[str, Form()] = "",
    queue_name: Annotated[str, Form(alias="queue")] = "appealed",
) -> Response:
    typed = {"outcome": outcome, "reasons": reasons, "new_action": new_action}
    try:
        if outcome not in {"upheld", "reversed"}:
            raise InvalidInput("outcome: choose whether to uphold or reverse the decision")
        chosen = _chosen_action(new_action, "new_action") if new_action else None
        with savepoint(services.session):
            services.moderation.decide_appeal(
                moderator=principal.user,
                message_id=message_id,
                outcome="upheld" if outcome == "upheld" else "reversed",
                reasons=reasons,
                new_action=chosen,
            )
    except HustingsError as error:
        errors = form_errors(error, APPEAL_FIELDS)
        return _item_view(
            request,
            services,
            principal,
            message_id,
            appeal_form=typed,
            appeal_errors=errors,
            status_code=error.status_code,
        )
    words = "upheld: the decision stands" if outcome == "upheld" else "reversed"
    return _see_other(_item_path(message_id, queue_name, services.settings, notice=f"Appeal {words}."))
