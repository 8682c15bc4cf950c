"""A page per sender account (author): every message, report and decision about it, its notes,
and the account actions a moderator takes from there.

The actions go through the services that own them: restricting or suspending the account is a
moderation decision (``restrict_account``, ``suspend_account``) on one of its messages, with the
rule it applies and a statement of reasons; blocking it is a protected person's block list
(`Protection.add_accounts`). Each is confirmed by a tick box naming it. Notes on an account or an
item are posted here too (`hustings.moderation.notes`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.errors import HustingsError, InvalidInput, NotFound
from hustings.events import user_actor
from hustings.messages.model import Message
from hustings.moderation.decisions import DecisionRequest
from hustings.moderation.events import (
    APPEAL_DECIDED,
    APPEAL_FILED,
    DECISION_MADE,
    ITEM_ESCALATED,
    REPORT_FILED,
    Action,
)
from hustings.moderation.status import DECIDABLE_STATES
from hustings.protection.controls import AccountRef
from hustings.services import Services
from hustings.storage.database import savepoint
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.templating import new_nonce, render, sender_path

router = APIRouter(include_in_schema=False)
ConsoleUser = Annotated[Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE))]
Moderator = Annotated[Principal, Depends(allow(Role.MODERATOR))]
Confirm = Annotated[str, Form(max_length=10)]
NoteText = Annotated[str, Form(max_length=4000)]
Nonce = Annotated[str, Form(max_length=64)]

MESSAGES_SHOWN = 100
ACCOUNT_ACTIONS = (Action.RESTRICT_ACCOUNT, Action.SUSPEND_ACCOUNT)
_SHOWN_KINDS = {REPORT_FILED, DECISION_MADE, APPEAL_FILED, APPEAL_DECIDED, ITEM_ESCALATED}


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _sender(services: Services, author_key: str) -> tuple[Message, list[Message]]:
    messages = services.messages.by_author(author_key, MESSAGES_SHOWN)
    if not messages:
        raise NotFound(f"sender: no messages held from an account {author_key!r}")
    return messages[0], messages


@router.get("/senders/{author_key}")
def sender_page(author_key: str, principal: ConsoleUser, request: Request, services: ServicesDep) -> Response:
    latest, messages = _sender(services, author_key)
    ids = [m.id for m in messages]
    statuses = services.moderation.statuses(ids)
    names = {u.id: u.display_name or u.name for u in services.users.all()}
    targets: dict[str, str] = {}
    for message in messages:
        for target_id in message.target_ids:
            if target_id not in targets and (target := services.targets.get(target_id)) is not None:
                targets[target_id] = target.name
    timeline: list[dict[str, Any]] = []
    for message in messages:
        for event in services.moderation.history(message.id):
            if event.kind in _SHOWN_KINDS:
                timeline.append({"event": event, "message": message})
    timeline.sort(key=lambda row: row["event"].occurred_at, reverse=True)
    params = request.query_params
    notice, error = read_flash(
        services.settings, params.get("notice", ""), params.get("error", ""), params.get("sig", "")
    )
    policy = services.moderation.policy
    return render(
        request,
        "senders/page.html",
        {
            "author": latest.author,
            "messages": messages,
            "total": services.messages.count_by_author(author_key),
            "statuses": statuses,
            "undecided": [
                m for m in messages if m.id in statuses and statuses[m.id].state in DECIDABLE_STATES
            ],
            "targets": targets,
            "timeline": timeline,
            "names": names,
            "notes": services.notes.of("author", author_key),
            "nonce": new_nonce(),
            "rules": [rule for rule in policy.rules if rule.breach],
            "account_actions": [a.value for a in ACCOUNT_ACTIONS],
            "may_act": Role.MODERATOR in principal.user.roles,
            "path": sender_path(author_key),
            "notice": notice,
            "error": error,
        },
    )


def _back(services: Services, author_key: str, *, notice: str = "", error: str = "") -> RedirectResponse:
    query = urlencode(flash(services.settings, notice=notice, error=error))
    return _see_other(f"{sender_path(author_key)}?{query}")


@router.post("/senders/{author_key}/restrict")
def act_on_account(
    author_key: str,
    principal: Moderator,
    services: ServicesDep,
    message_id: Annotated[str, Form(max_length=200)] = "",
    action: Annotated[str, Form(max_length=40)] = "",
    policy_rule: Annotated[str, Form(max_length=20)] = "",
    decision_facts: Annotated[str, Form(max_length=5000)] = "",
    confirm: Confirm = "",
) -> Response:
    """Restrict or suspend the account: a decision on one of its messages, citing a rule."""
    latest, messages = _sender(services, author_key)
    try:
        with savepoint(services.session):
            chosen = Action(action) if action in {a.value for a in ACCOUNT_ACTIONS} else None
            if chosen is None:
                raise InvalidInput("action: choose restrict or suspend the account")
            if message_id not in {m.id for m in messages}:
                raise InvalidInput("message: choose one of this account's messages as the ground")
            if not policy_rule:
                raise InvalidInput("rule: choose the rule the account breaks")
            if confirm != "yes":
                raise InvalidInput("confirm: tick the box to confirm; nothing was changed")
            services.moderation.decide(
                moderator=principal.user,
                request=DecisionRequest(
                    message_id=message_id,
                    action=chosen,
                    policy_rule=policy_rule,
                    decision_facts=decision_facts,
                ),
            )
    except HustingsError as error:
        return _back(services, author_key, error=str(error))
    words = "restricted" if action == Action.RESTRICT_ACCOUNT else "suspended"
    return _back(services, author_key, notice=f"{latest.author.handle} is {words} (rule {policy_rule}).")


@router.post("/senders/{author_key}/block")
def block_for_target(
    author_key: str,
    principal: Moderator,
    services: ServicesDep,
    target_id: Annotated[str, Form(max_length=200)],
    confirm: Confirm = "",
) -> Response:
    """Add the account to the block list of a person it wrote to; their controls hide it from then on."""
    latest, messages = _sender(services, author_key)
    try:
        with savepoint(services.session):
            if target_id not in {t for m in messages for t in m.target_ids}:
                raise InvalidInput("target: choose a person this account wrote to")
            if confirm != "yes":
                raise InvalidInput("confirm: tick the box to confirm; nothing was changed")
            handle = latest.author.handle.lstrip("@").lower()
            services.protection.add_accounts(
                target_id,
                "blocked",
                [AccountRef(platform=latest.source, handle=handle, note="blocked by a moderator")],
                actor=user_actor(principal.user.id),
            )
    except HustingsError as error:
        return _back(services, author_key, error=str(error))
    target = services.targets.get(target_id)
    whom = target.name if target else target_id
    return _back(services, author_key, notice=f"{latest.author.handle} is on {whom}'s block list.")


# ---------------------------------------------------------------- notes


@router.post("/senders/{author_key}/notes")
def note_on_sender(
    author_key: str, principal: ConsoleUser, services: ServicesDep, note: NoteText = "", nonce: Nonce = ""
) -> Response:
    _sender(services, author_key)
    try:
        with savepoint(services.session):
            services.notes.add(
                about="author", about_id=author_key, author=principal.user, text=note, nonce=nonce
            )
    except HustingsError as error:
        return _back(services, author_key, error=str(error))
    return _back(services, author_key, notice="Note added.")


@router.post("/console/items/{message_id}/notes")
def note_on_item(
    message_id: str, principal: ConsoleUser, services: ServicesDep, note: NoteText = "", nonce: Nonce = ""
) -> Response:
    if services.messages.get(message_id) is None:
        raise NotFound(f"message_id: no message {message_id!r}")
    query: dict[str, str] = {}
    try:
        with savepoint(services.session):
            services.notes.add(
                about="message", about_id=message_id, author=principal.user, text=note, nonce=nonce
            )
    except HustingsError as error:
        query = flash(services.settings, error=str(error))
    else:
        query = flash(services.settings, notice="Note added.")
    return _see_other(f"/console/items/{quote(message_id)}?{urlencode(query)}#notes")
