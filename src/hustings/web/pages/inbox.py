"""The safe inbox page: a target's (or their delegate's) view of what reached them.

Hostile, held and hidden messages are masked: their text is not in the page until the person
chooses to see it, one message at a time (`Show message` fetches it) or a whole folder they chose
to see in full; in its place they read the label and a neutral summary. Each person's viewing
choices (greyscale, images hidden, one at a time) are remembered. Each message shows where
moderation stands on it, and has actions (report with a category and a note, add to the evidence
bundle, release, block the sender); an open incident can be acted on as a whole. Forms post back
here and redirect (303) to the folder with a notice; a report whose note cannot be taken renders
the page again with the words beside the field and the note kept.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.elections.guidance import guidance_for
from hustings.errors import HustingsError, InvalidInput, NotFound
from hustings.events import user_actor
from hustings.messages.changes import AtSource, at_source
from hustings.moderation.reports import CATEGORIES, MAX_NOTE
from hustings.protection.controls import account_ref
from hustings.protection.inbox import INBOX_FOLDERS, InboxItem, Viewing
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import savepoint
from hustings.targets.model import Target, target_scope, visible_target
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.form_errors import field_error
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/inbox", include_in_schema=False)
Guardian = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]
NAV = [NavItem("Safe inbox", "/inbox", frozenset({Role.TARGET, Role.DELEGATE}), order=15)]
FOLDER_TITLES = {"inbox": "Inbox", "held": "Held for review", "hidden": "Hidden"}
AS_DETECTED = "as_detected"
"""The bulk report's default category: each message's own label, as the detector saw it."""


def _back(
    settings: Settings, target_id: str, folder: str = "inbox", *, notice: str = "", error: str = ""
) -> RedirectResponse:
    query = {"folder": folder if folder in INBOX_FOLDERS else "inbox"} | flash(
        settings, notice=notice, error=error
    )
    return RedirectResponse(f"/inbox/{quote(target_id)}?{urlencode(query)}", status_code=303)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def message_view(
    item: InboxItem,
    viewing: Viewing,
    services: Services,
    *,
    shown: bool,
    state: Any = None,
    changed: AtSource | None = None,
) -> dict[str, Any]:
    """What the page shows of one message: masked (label and summary, no text) or its text, and
    whether the source edited or deleted it since (a marker and a time, never the edited text)."""
    masked = item.masked and not shown
    return {
        "item": item,
        "id": item.message.id,
        "masked": masked,
        "maskable": item.masked,
        "summary": item.summary(services.clock.now()),
        "text": "" if masked else viewing.shown_text(item.message.text),
        "moderation": state,
        "at_source": changed,
    }


@router.get("")
def choose_target(principal: Guardian, request: Request, services: ServicesDep) -> Response:
    """Straight to the inbox of the one target a user has; otherwise a list to choose from."""
    scope = target_scope(principal.user)
    targets = [t for t in services.targets.all() if scope is None or t.id in scope]
    if len(targets) == 1:
        return RedirectResponse(f"/inbox/{quote(targets[0].id)}", status_code=303)
    return render(request, "protection/choose.html", {"targets": targets})


def _inbox(
    request: Request,
    principal: Principal,
    services: Services,
    target: Target,
    folder: str,
    *,
    notice: str = "",
    error: str = "",
    show: str = "",
    report_form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    protection = services.protection
    viewing = protection.viewing(principal.user.id)
    show_all = viewing.shows_all(target.id, folder)
    items = protection.inbox(target.id, folder, limit=200)
    ids = [item.message.id for item in items]
    states = services.moderation.moderation_states(ids)
    changes = {mid: at_source(status.data) for mid, status in services.moderation.statuses(ids).items()}
    messages = [
        message_view(
            item,
            viewing,
            services,
            shown=show_all or item.message.id == show,
            state=states.get(item.message.id),
            changed=changes.get(item.message.id),
        )
        for item in items
    ]
    summary = protection.digest(target.id)
    private_alerts = services.private_details.alerts(target.id)
    named = {str(alert["message_id"]) for alert in private_alerts}
    return render(
        request,
        "protection/inbox.html",
        {
            "target": target,
            "folder": folder,
            "folders": FOLDER_TITLES,
            "messages": messages,
            "viewing": viewing,
            "show_all": show_all,
            "digest": summary,
            "shield": summary["shield"],
            "incidents": protection.open_incidents_of(target.id),
            "categories": CATEGORIES,
            "max_note": MAX_NOTE,
            "report_form": report_form or {},
            "guidance": {
                m.message.id: guidance_for([*m.hostile, *(["doxxing"] if m.message.id in named else [])])
                for m in items
            },
            "pile_on_guidance": guidance_for(pile_on=True),
            "private_alerts": private_alerts,
            "notice": notice,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/{target_id}")
def inbox_page(
    target_id: str,
    principal: Guardian,
    request: Request,
    services: ServicesDep,
    folder: str = "inbox",
    show: str = "",
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    """One folder; `show` reveals one masked message (the page works without script too)."""
    target = visible_target(services.targets, principal.user, target_id)
    if folder not in INBOX_FOLDERS:
        raise NotFound(f"folder: no folder {folder!r}; expected inbox, held or hidden")
    notice, error = read_flash(services.settings, notice, error, sig)
    return _inbox(request, principal, services, target, folder, notice=notice, error=error, show=show)


@router.get("/{target_id}/messages/{message_id}/body")
def message_body(
    target_id: str,
    message_id: str,
    principal: Guardian,
    request: Request,
    services: ServicesDep,
    shown: bool = True,
) -> Response:
    """The fragment `Show message` and `Mask again` swap in: the text, or the mask again."""
    visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    item = protection.inbox_item(target_id, message_id)
    viewing = protection.viewing(principal.user.id)
    return render(
        request,
        "protection/_message_body.html",
        {
            "m": message_view(item, viewing, services, shown=shown),
            "target_id": target_id,
            "folder": next(key for key, states in INBOX_FOLDERS.items() if item.state in states),
        },
    )


@router.get("/{target_id}/bundle")
def bundle_page(
    target_id: str, principal: Guardian, request: Request, services: ServicesDep, show: str = ""
) -> Response:
    """The evidence bundle: each message kept as evidence, who added it, when and why."""
    target = visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    viewing = protection.viewing(principal.user.id)
    entries = [
        (
            entry,
            None if item is None else message_view(item, viewing, services, shown=item.message.id == show),
        )
        for entry, item in protection.bundle_items(target_id)
    ]
    return render(
        request, "protection/bundle.html", {"target": target, "entries": entries, "viewing": viewing}
    )


@router.post("/{target_id}/viewing")
def change_viewing(
    target_id: str,
    principal: Guardian,
    services: ServicesDep,
    folder: Annotated[str, Form()] = "inbox",
    choices: Annotated[bool, Form()] = False,
    greyscale: Annotated[bool, Form()] = False,
    hide_images: Annotated[bool, Form()] = False,
    one_at_a_time: Annotated[bool, Form()] = False,
    show_all: Annotated[str, Form()] = "",
) -> Response:
    """Save how this person likes hostile messages shown (`choices`), or show or mask a folder
    in full (`show_all` = on or off)."""
    visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    actor = user_actor(principal.user.id)
    try:
        with savepoint(services.session):
            if show_all:
                if show_all not in ("on", "off"):
                    raise InvalidInput("show_all: expected on or off")
                protection.change_viewing(
                    principal.user.id, actor=actor, show_all=(target_id, folder, show_all == "on")
                )
                title = FOLDER_TITLES.get(folder, folder)
                notice = (
                    f"Every message in {title} is shown in full."
                    if show_all == "on"
                    else f"Hostile messages in {title} are masked again."
                )
            elif choices:
                protection.change_viewing(
                    principal.user.id,
                    actor=actor,
                    greyscale=greyscale,
                    hide_images=hide_images,
                    one_at_a_time=one_at_a_time,
                )
                notice = "Your viewing choices are saved."
            else:
                raise InvalidInput("viewing: nothing to change")
    except HustingsError as failure:
        return _back(services.settings, target_id, folder, error=str(failure))
    return _back(services.settings, target_id, folder, notice=notice)


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


def _category(category: str, *, allow_as_detected: bool) -> str | None:
    """The category a report form chose; None for the message's own label."""
    if category in ("", AS_DETECTED) and allow_as_detected:
        return None
    if category not in CATEGORIES:
        raise InvalidInput(f"category: choose one of the listed kinds, not {category!r}")
    return category


@router.post("/{target_id}/messages/{message_id}/{action}")
def act_on_message(
    target_id: str,
    message_id: str,
    action: str,
    principal: Guardian,
    request: Request,
    services: ServicesDep,
    folder: Annotated[str, Form()] = "inbox",
    category: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """One action on one message: report (with a category and a note), bundle (add to the
    evidence bundle), release, block (the sender: their earlier messages move to Hidden)."""
    target = visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    actor = user_actor(principal.user.id)
    try:
        with savepoint(services.session):
            if action == "report":
                if len(note) > MAX_NOTE:
                    raise InvalidInput(
                        f"note: make the note shorter: at most {MAX_NOTE} characters (it has {len(note)})"
                    )
                protection.report_message(
                    target_id,
                    message_id,
                    reporter=principal.user,
                    category=_category(category, allow_as_detected=True),
                    note=note.strip(),
                )
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
                change = protection.add_accounts(target_id, "blocked", [ref], actor=actor)
                notice = f"Blocked @{ref.handle}: {change.moved_in_words}"
            else:
                raise NotFound(f"action: no action {action!r}")
    except HustingsError as failure:
        if action == "report" and folder in INBOX_FOLDERS and not isinstance(failure, NotFound):
            problem = field_error(failure, ("category", "note"))
            form = {"message_id": message_id, "category": category, "note": note, "problem": problem}
            return _inbox(
                request,
                principal,
                services,
                target,
                folder,
                report_form=form,
                status_code=failure.status_code,
            )
        return _back(services.settings, target_id, folder, error=str(failure))
    return _back(services.settings, target_id, folder, notice=notice)


@router.post("/{target_id}/incidents/{incident_id}/{action}")
def act_on_incident(
    target_id: str,
    incident_id: str,
    action: str,
    principal: Guardian,
    request: Request,
    services: ServicesDep,
    category: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Act on a whole incident: report-all (each with its detected label unless a category is
    chosen, and an optional note), block-all (only with `confirm` naming the number of senders
    the person was shown, so a stale page cannot block more than it said), bundle-all."""
    target = visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    status = protection.visible_incident(principal.user, incident_id)
    if status.target_id != target_id:
        raise NotFound(f"incident_id: no incident {incident_id!r}, or not yours")
    actor = user_actor(principal.user.id)
    try:
        with savepoint(services.session):
            if action == "report-all":
                if len(note) > MAX_NOTE:
                    raise InvalidInput(
                        f"note: make the note shorter: at most {MAX_NOTE} characters (it has {len(note)})"
                    )
                count = protection.report_incident(
                    incident_id,
                    reporter=principal.user,
                    category=_category(category, allow_as_detected=True),
                    note=note.strip(),
                )
                notice = f"Reported {_plural(count, 'message')} to the moderators."
            elif action == "block-all":
                senders = len(status.data.get("author_keys", []))
                if confirm != str(senders):
                    raise InvalidInput(
                        f"Nothing blocked: this pile-on now has {_plural(senders, 'sender')}; "
                        'open "Block all" again to confirm that number'
                    )
                blocked, change = protection.block_senders(incident_id, actor=actor)
                notice = f"Blocked {_plural(blocked, 'account')}: {change.moved_in_words}"
            elif action == "bundle-all":
                count = protection.bundle_incident(incident_id, actor=actor)
                notice = f"Added {_plural(count, 'message')} to the evidence bundle."
            else:
                raise NotFound(f"action: no action {action!r}")
    except HustingsError as failure:
        if action == "report-all" and not isinstance(failure, NotFound):
            problem = field_error(failure, ("category", "note"))
            form = {"incident_id": incident_id, "category": category, "note": note, "problem": problem}
            return _inbox(
                request,
                principal,
                services,
                target,
                "inbox",
                report_form=form,
                status_code=failure.status_code,
            )
        return _back(services.settings, target_id, error=str(failure))
    return _back(services.settings, target_id, notice=notice)
