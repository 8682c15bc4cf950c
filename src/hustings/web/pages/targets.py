"""Protected people pages: the list (with open incidents, so moderators see pile-ons as they
happen), registering a person, and one person's page: incidents with their timelines, delegates,
and the controls (settings, hidden words, block and mute lists with CSV import and export).

A target or delegate sees only their own; any other id answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.errors import HustingsError, InvalidInput
from hustings.events import user_actor
from hustings.places import Nation
from hustings.protection.controls import MAX_HIDDEN_WORD, Sensitivity, account_ref, parse_accounts_csv
from hustings.protection.events import IncidentState
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import savepoint
from hustings.targets.model import Target, TargetRole, target_scope, visible_target
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.form_errors import FieldError, field_error
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/targets", include_in_schema=False)
Viewer = Annotated[
    Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.TARGET, Role.DELEGATE))
]
Guardian = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]
Registrar = Annotated[Principal, Depends(allow(Role.ADMIN))]
NAV = [
    NavItem(
        "Protected people",
        "/targets",
        frozenset({Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.TARGET, Role.DELEGATE}),
        order=30,
    )
]
GUARDIANS = frozenset({Role.ADMIN, Role.TARGET, Role.DELEGATE})


def _back(settings: Settings, target_id: str, *, notice: str = "", error: str = "") -> RedirectResponse:
    query = flash(settings, notice=notice, error=error)
    suffix = f"?{urlencode(query)}" if query else ""
    return RedirectResponse(f"/targets/{quote(target_id)}{suffix}", status_code=303)


@router.get("")
def targets_page(
    principal: Viewer, request: Request, services: ServicesDep, error: str = "", sig: str = ""
) -> Response:
    _, error = read_flash(services.settings, "", error, sig)
    scope = target_scope(principal.user)
    targets = [t for t in services.targets.all() if scope is None or t.id in scope]
    protection = services.protection
    now = services.clock.now()
    open_incidents = protection.incidents(None if scope is None else sorted(scope), state=IncidentState.OPEN)
    names = {t.id: t.name for t in targets}
    rows = [
        {
            "target": t,
            "shield": protection.shield(t.id).to_json(now),
            "open": sum(1 for i in open_incidents if i.target_id == t.id),
        }
        for t in targets
    ]
    return render(
        request,
        "protection/targets.html",
        {
            "rows": rows,
            "incidents": open_incidents,
            "names": names,
            "roles": [r.value for r in TargetRole],
            "nations": [n.value for n in Nation],
            "can_register": Role.ADMIN in principal.user.roles,
            "error": error,
        },
    )


@router.post("")
def register_target(
    principal: Registrar,
    services: ServicesDep,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    role: Annotated[TargetRole, Form()],
    party: Annotated[str, Form(max_length=120)] = "",
    constituency: Annotated[str, Form(max_length=200)] = "",
    handles: Annotated[str, Form(max_length=5000)] = "",
    auto_shield: Annotated[bool, Form()] = False,
    country: Annotated[str, Form(max_length=2)] = "",
    nation: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Register from the form; handles are one `platform handle` pair per line."""
    try:
        pairs = []
        for number, line in enumerate(handles.splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.replace(",", " ").split()
            if len(parts) != 2:
                raise InvalidInput(f"handles: line {number}: expected 'platform handle'")
            ref = account_ref(parts[0], parts[1])
            pairs.append((ref.platform, ref.handle))
        with savepoint(services.session):
            target = services.targets.create(
                name=name.strip(),
                role=role,
                party=party.strip() or None,
                constituency=constituency.strip() or None,
                handles=pairs,
                now=services.clock.now(),
                country=country.strip() or None,
                nation=nation.strip() or None,
            )
            if auto_shield:
                services.protection.change_settings(
                    target.id, actor=user_actor(principal.user.id), auto_shield=True
                )
    except HustingsError as failure:
        query = flash(services.settings, error=str(failure))
        return RedirectResponse(f"/targets?{urlencode(query)}", status_code=303)
    return _back(services.settings, target.id, notice=f"{target.name} registered.")


def _target_page(
    request: Request,
    principal: Principal,
    services: Services,
    target: Target,
    *,
    notice: str = "",
    error: str = "",
    forms: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    protection = services.protection
    guardian = bool(principal.user.roles & GUARDIANS)
    return render(
        request,
        "protection/target.html",
        {
            "target": target,
            "incidents": protection.incidents([target.id], limit=50),
            "shield": protection.shield(target.id).to_json(services.clock.now()),
            "controls": protection.controls(target.id) if guardian else None,
            "guardian": guardian,
            "sensitivities": [s.value for s in Sensitivity],
            "people": services.targets.users_of(target.id),
            "can_add_delegate": Role.ADMIN in principal.user.roles,
            "forms": forms or {},
            "notice": notice,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/{target_id}")
def target_page(
    target_id: str,
    principal: Viewer,
    request: Request,
    services: ServicesDep,
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    target = visible_target(services.targets, principal.user, target_id)
    notice, error = read_flash(services.settings, notice, error, sig)
    return _target_page(request, principal, services, target, notice=notice, error=error)


@router.post("/{target_id}/settings")
def change_settings(
    target_id: str,
    principal: Guardian,
    services: ServicesDep,
    sensitivity: Annotated[Sensitivity, Form()],
    only_known: Annotated[bool, Form()] = False,
    auto_shield: Annotated[bool, Form()] = False,
) -> Response:
    visible_target(services.targets, principal.user, target_id)
    services.protection.change_settings(
        target_id,
        actor=user_actor(principal.user.id),
        sensitivity=sensitivity,
        only_known=only_known,
        auto_shield=auto_shield,
    )
    return _back(services.settings, target_id, notice="Settings saved.")


@router.post("/{target_id}/hidden-words")
def hidden_words(
    target_id: str,
    principal: Guardian,
    request: Request,
    services: ServicesDep,
    word: Annotated[str, Form()] = "",
    remove: Annotated[bool, Form()] = False,
) -> Response:
    """Add a hidden word (messages already there that contain it move to Hidden) or remove one.

    A word that cannot be taken comes back in the form, with what to change beside it."""
    target = visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    actor = user_actor(principal.user.id)
    try:
        with savepoint(services.session):
            if remove:
                protection.remove_hidden_word(target_id, word, actor=actor)
                notice = "Hidden word removed. What it hid stays in Hidden; release messages one by one."
            else:
                if len(word) > 10 * MAX_HIDDEN_WORD:
                    raise InvalidInput(f"word: must be 1 to {MAX_HIDDEN_WORD} characters")
                change = protection.add_hidden_word(target_id, word, actor=actor)
                notice = f"Hidden word added: {change.moved_in_words}"
    except HustingsError as failure:
        if remove:
            return _back(services.settings, target_id, error=str(failure))
        problem = field_error(failure, ("word",))
        words = (
            f"{problem.words}. You typed {len(word)} characters."
            if len(word) > MAX_HIDDEN_WORD
            else problem.words
        )
        shown = FieldError(problem.field, words)
        return _target_page(
            request,
            principal,
            services,
            target,
            forms={"word": {"value": word[: 10 * MAX_HIDDEN_WORD], "problem": shown}},
            status_code=failure.status_code,
        )
    return _back(services.settings, target_id, notice=notice)


@router.post("/{target_id}/lists/{list_name}")
async def import_list(
    target_id: str,
    list_name: str,
    principal: Guardian,
    services: ServicesDep,
    file: UploadFile | None = None,
    accounts: Annotated[str, Form()] = "",
) -> Response:
    """Add accounts to the block or mute list from an uploaded CSV or the text box (same format)."""
    from starlette.concurrency import run_in_threadpool

    raw = await file.read(2_000_001) if file is not None and file.filename else b""

    def work() -> Response:
        visible_target(services.targets, principal.user, target_id)
        try:
            if len(raw) > 2_000_000:
                raise InvalidInput("file: at most 2,000,000 bytes")
            if len(accounts) > 200_000:
                raise InvalidInput("accounts: at most 200,000 characters; import a file for more")
            text = raw.decode("utf-8-sig") if raw else accounts
            refs, problems = parse_accounts_csv(text)
            with savepoint(services.session):
                change = services.protection.add_accounts(
                    target_id, list_name, refs, actor=user_actor(principal.user.id)
                )
        except (HustingsError, UnicodeDecodeError) as failure:
            message = "file: not UTF-8 text" if isinstance(failure, UnicodeDecodeError) else str(failure)
            return _back(services.settings, target_id, error=message)
        skipped = "; ".join(f"line {p.line}: {p.error}" for p in problems[:10])
        notice = f"{len(refs)} accounts added to the {list_name} list: {change.moved_in_words}"
        return _back(
            services.settings,
            target_id,
            notice=notice,
            error=f"Left out {len(problems)} rows: {skipped}" if problems else "",
        )

    return await run_in_threadpool(work)


@router.post("/{target_id}/lists/{list_name}/remove")
def remove_from_list(
    target_id: str,
    list_name: str,
    principal: Guardian,
    services: ServicesDep,
    platform: Annotated[str, Form()],
    handle: Annotated[str, Form()],
) -> Response:
    visible_target(services.targets, principal.user, target_id)
    try:
        with savepoint(services.session):
            services.protection.remove_accounts(
                target_id, list_name, [account_ref(platform, handle)], actor=user_actor(principal.user.id)
            )
    except HustingsError as failure:
        return _back(services.settings, target_id, error=str(failure))
    return _back(services.settings, target_id, notice=f"@{handle} removed from the {list_name} list.")


@router.post("/{target_id}/delegates")
def add_delegate(
    target_id: str,
    principal: Registrar,
    request: Request,
    services: ServicesDep,
    name: Annotated[str, Form(min_length=1, max_length=120)],
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    visible_target(services.targets, principal.user, target_id)
    try:
        with savepoint(services.session):
            user = services.users.create(
                name,
                {Role.DELEGATE},
                now=services.clock.now(),
                password=password or None,
                target_ids=(target_id,),
            )
    except HustingsError as failure:
        return _back(services.settings, target_id, error=str(failure))
    return _back(
        services.settings,
        target_id,
        notice=f"Delegate {user.name} added; they can log in with the password you set.",
    )
