"""The safe inbox page: a target's (or their delegate's) view of what reached them.

Hostile content is blurred until revealed, with counts shown; the review folder holds what the
shield held; each message has one-click actions (report, add to the evidence bundle, release,
block the sender) and an open incident can be acted on as a whole. Forms post back here and
redirect (303) to the folder with a notice, or with the error that stopped them.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.elections.guidance import guidance_for
from hustings.errors import HustingsError, NotFound
from hustings.events import user_actor
from hustings.protection.controls import account_ref
from hustings.protection.inbox import INBOX_FOLDERS
from hustings.settings import Settings
from hustings.storage.database import savepoint
from hustings.targets.model import target_scope, visible_target
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/inbox", include_in_schema=False)
Guardian = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]
NAV = [NavItem("Safe inbox", "/inbox", frozenset({Role.TARGET, Role.DELEGATE}), order=15)]
FOLDER_TITLES = {"inbox": "Inbox", "held": "Held for review", "hidden": "Hidden"}


def _back(
    settings: Settings, target_id: str, folder: str = "inbox", *, notice: str = "", error: str = ""
) -> RedirectResponse:
    query = {"folder": folder if folder in INBOX_FOLDERS else "inbox"} | flash(
        settings, notice=notice, error=error
    )
    return RedirectResponse(f"/inbox/{quote(target_id)}?{urlencode(query)}", status_code=303)


@router.get("")
def choose_target(principal: Guardian, request: Request, services: ServicesDep) -> Response:
    """Straight to the inbox of the one target a user has; otherwise a list to choose from."""
    scope = target_scope(principal.user)
    targets = [t for t in services.targets.all() if scope is None or t.id in scope]
    if len(targets) == 1:
        return RedirectResponse(f"/inbox/{quote(targets[0].id)}", status_code=303)
    return render(request, "protection/choose.html", {"targets": targets})


@router.get("/{target_id}")
def inbox_page(
    target_id: str,
    principal: Guardian,
    request: Request,
    services: ServicesDep,
    folder: str = "inbox",
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    target = visible_target(services.targets, principal.user, target_id)
    notice, error = read_flash(services.settings, notice, error, sig)
    protection = services.protection
    messages = protection.inbox(target_id, folder, limit=200)
    summary = protection.digest(target_id)
    private_alerts = services.private_details.alerts(target_id)
    named = {str(alert["message_id"]) for alert in private_alerts}
    return render(
        request,
        "protection/inbox.html",
        {
            "target": target,
            "folder": folder,
            "folders": FOLDER_TITLES,
            "messages": messages,
            "digest": summary,
            "shield": summary["shield"],
            "incidents": protection.open_incidents_of(target_id),
            "guidance": {
                m.message.id: guidance_for([*m.hostile, *(["doxxing"] if m.message.id in named else [])])
                for m in messages
            },
            "pile_on_guidance": guidance_for(pile_on=True),
            "private_alerts": private_alerts,
            "notice": notice,
            "error": error,
        },
    )


@router.post("/{target_id}/shield")
def change_shield(
    target_id: str,
    principal: Guardian,
    services: ServicesDep,
    action: Annotated[str, Form(pattern="^(on|extend|off)$")],
) -> Response:
    visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    actor = user_actor(principal.user.id)
    try:
        with savepoint(services.session):
            if action == "on":
                shield = protection.enable_shield(target_id, actor=actor)
                notice = f"Shield on until {shield.until:%d %b %Y %H:%M} UTC"
            elif action == "extend":
                shield = protection.extend_shield(target_id, actor=actor)
                notice = f"Shield extended to {shield.until:%d %b %Y %H:%M} UTC"
            else:
                shield = protection.disable_shield(target_id, actor=actor)
                held = (shield.last_recap or {}).get("held", 0)
                notice = f"Shield off. It held {held} messages while it was on."
    except HustingsError as failure:
        return _back(services.settings, target_id, error=str(failure))
    return _back(services.settings, target_id, notice=notice)


@router.post("/{target_id}/messages/{message_id}/{action}")
def act_on_message(
    target_id: str,
    message_id: str,
    action: str,
    principal: Guardian,
    services: ServicesDep,
    folder: Annotated[str, Form()] = "inbox",
) -> Response:
    """One action on one message: report, bundle (add to the evidence bundle), release, block."""
    visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    actor = user_actor(principal.user.id)
    try:
        with savepoint(services.session):
            if action == "report":
                protection.report_message(target_id, message_id, reporter=principal.user)
                notice = "Reported to the moderators."
            elif action == "bundle":
                protection.add_to_bundle(
                    target_id, [message_id], actor=actor, note="added from the safe inbox"
                )
                notice = "Added to the evidence bundle."
            elif action == "release":
                protection.release(target_id, message_id, actor=actor)
                notice = "Released into the inbox."
            elif action == "block":
                message = services.messages.get(message_id)
                if message is None or target_id not in message.target_ids:
                    raise NotFound(f"message_id: no message {message_id!r} for this target")
                ref = account_ref(message.source, message.author.handle, note="blocked from the safe inbox")
                protection.add_accounts(target_id, "blocked", [ref], actor=actor)
                notice = f"@{ref.handle} blocked."
            else:
                raise NotFound(f"action: no action {action!r}")
    except HustingsError as failure:
        return _back(services.settings, target_id, folder, error=str(failure))
    return _back(services.settings, target_id, folder, notice=notice)


@router.post("/{target_id}/incidents/{incident_id}/{action}")
def act_on_incident(
    target_id: str, incident_id: str, action: str, principal: Guardian, services: ServicesDep
) -> Response:
    """Act on a whole incident: report-all, block-all, bundle-all."""
    visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    status = protection.visible_incident(principal.user, incident_id)
    if status.target_id != target_id:
        raise NotFound(f"incident_id: no incident {incident_id!r}, or not yours")
    actor = user_actor(principal.user.id)
    try:
        with savepoint(services.session):
            if action == "report-all":
                count = protection.report_incident(incident_id, reporter=principal.user, category="abuse")
                notice = f"Reported {count} messages to the moderators."
            elif action == "block-all":
                count = protection.block_all_senders(incident_id, actor=actor)
                notice = f"Blocked {count} accounts."
            elif action == "bundle-all":
                count = protection.bundle_incident(incident_id, actor=actor)
                notice = f"Added {count} messages to the evidence bundle."
            else:
                raise NotFound(f"action: no action {action!r}")
    except HustingsError as failure:
        return _back(services.settings, target_id, error=str(failure))
    return _back(services.settings, target_id, notice=notice)
