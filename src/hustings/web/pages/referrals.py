"""Referral pages: the list with a form to open one, and each referral with its evidence,
offence hints, chain of custody, packs and the forms that move it on.

"Refer to police" on a console item, an incident or an evidence bundle links here with the form
pre-filled: the page shows what will be referred (excerpts, the incident, the bundle), and the
ids travel in hidden fields. A refused form comes back as typed, the message beside its field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.errors import HustingsError, InvalidInput
from hustings.events import user_actor
from hustings.referrals.hints import DISCLAIMER
from hustings.referrals.model import KNOWN_UNITS, Outcome, PoliceStatus
from hustings.services import Services
from hustings.storage.database import savepoint
from hustings.web.deps import AccessLogDep, ServicesDep, allow, writes_on_read
from hustings.web.forms import FormErrors, form_errors
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/referrals", include_in_schema=False)
ROLES = frozenset({Role.POLICE_LIAISON, Role.MODERATOR, Role.ADMIN})
Liaison = Annotated[Principal, Depends(allow(*sorted(ROLES)))]
NAV = [NavItem("Referrals", "/referrals", ROLES, order=40)]


SHOWN = 20
"""Messages of a referral-to-be shown as excerpts; the rest are counted."""
OPEN_FIELDS = {
    "message_ids": "message_ids",
    "incident_id": "incident_id",
    "bundle_target_id": "bundle_target_id",
    "force": "force",
    "unit": "unit",
    "note": "note",
}
TRACK_FIELDS = {
    "force": "force",
    "unit": "unit",
    "via": "via",
    "police_status": "police_status",
    "crime_reference": "crime_reference",
    "outcome": "outcome",
    "note": "note",
}


def _split(ids: str) -> list[str]:
    return [part for part in ids.replace(",", " ").split() if part]


def _what(
    services: Services, message_ids: list[str], incident_id: str, bundle_target_id: str
) -> dict[str, Any]:
    """What a referral of these would hold, in words: excerpts of the messages, the incident and
    the bundle by the person's name. An unknown incident or empty bundle is an error beside it."""
    found: dict[str, Any] = {"messages": [], "count": 0, "incident": None, "bundle": None}
    errors: dict[str, str] = {}
    ids: list[str] = []
    parts = (
        ("message_ids", bool(message_ids), {"message_ids": message_ids}),
        ("incident_id", bool(incident_id), {"incident_id": incident_id}),
        ("bundle_target_id", bool(bundle_target_id), {"bundle_target_id": bundle_target_id}),
    )
    for _, given, kwargs in parts:
        if not given:
            continue
        try:
            part = services.referrals.what_is_referred(**{"message_ids": (), **kwargs})  # type: ignore[arg-type]
        except HustingsError as error:
            errors |= form_errors(error, OPEN_FIELDS).fields
            continue
        ids.extend(m for m in part if m not in ids)
    if incident_id and "incident_id" not in errors:
        incident = services.protection.incident(incident_id)
        target = services.targets.get(incident.target_id or "")
        found["incident"] = {
            "id": incident_id,
            "name": target.name if target else "a protected person",
            "count": len(incident.data.get("message_ids") or []),
            "authors": len(incident.data.get("author_keys") or []),
            "opened": str(incident.data.get("opened_at") or "")[:10],
        }
    if bundle_target_id and "bundle_target_id" not in errors:
        target = services.targets.get(bundle_target_id)
        found["bundle"] = {"id": bundle_target_id, "name": target.name if target else "a protected person"}
    missing = [m for m in message_ids if services.messages.get(m) is None]
    if missing:
        errors["message_ids"] = (
            f"No message {', '.join(missing[:3])} is held here: check the link you followed."
        )
    for message_id in ids[:SHOWN]:
        message = services.messages.get(message_id)
        if message is not None:
            found["messages"].append(message)
    found["count"] = len(ids)
    found["errors"] = errors
    return found


def _list_view(
    request: Request,
    services: Services,
    *,
    message_ids: str = "",
    incident_id: str = "",
    bundle_target_id: str = "",
    typed: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    ids = _split(message_ids)
    what = _what(services, ids, incident_id.strip(), bundle_target_id.strip())
    shown = FormErrors(
        fields={**what["errors"], **(errors.fields if errors else {})},
        general=errors.general if errors else "",
    )
    return render(
        request,
        "referrals/list.html",
        {
            "referrals": services.referrals.all(),
            "prefill_ids": " ".join(ids),
            "prefill_incident": incident_id.strip(),
            "prefill_bundle": bundle_target_id.strip(),
            "what": what,
            "typed": dict(typed or {}),
            "errors": shown,
            "units": KNOWN_UNITS,
        },
        status_code=status_code,
    )


def _back(referral_id: str) -> Response:
    return RedirectResponse(f"/referrals/{referral_id}", status_code=303)


@router.get("")
def referrals_page(
    _: Liaison,
    request: Request,
    services: ServicesDep,
    message_ids: str = "",
    incident_id: str = "",
    bundle_target_id: str = "",
) -> Response:
    """Every referral, urgent first; `?message_ids=`, `?incident_id=` or `?bundle_target_id=`
    fills the form to open one, showing what it would refer."""
    return _list_view(
        request, services, message_ids=message_ids, incident_id=incident_id, bundle_target_id=bundle_target_id
    )


@router.post("")
def create_referral(
    principal: Liaison,
    request: Request,
    services: ServicesDep,
    message_ids: Annotated[str, Form()] = "",
    incident_id: Annotated[str, Form()] = "",
    bundle_target_id: Annotated[str, Form()] = "",
    force: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        with savepoint(services.session):
            status = services.referrals.create(
                actor=user_actor(principal.user.id),
                message_ids=_split(message_ids),
                incident_id=incident_id.strip() or None,
                bundle_target_id=bundle_target_id.strip() or None,
                force=force,
                unit=unit,
                note=note,
            )
    except HustingsError as error:
        return _list_view(
            request,
            services,
            message_ids=message_ids,
            incident_id=incident_id,
            bundle_target_id=bundle_target_id,
            typed={"force": force, "unit": unit, "note": note},
            errors=form_errors(error, OPEN_FIELDS),
            status_code=error.status_code,
        )
    return _back(status.subject_id)


@router.get("/{referral_id}")
@writes_on_read
def referral_page(referral_id: str, principal: Liaison, request: Request, services: ServicesDep) -> Response:
    """The referral with its evidence; the view goes in its chain of custody."""
    services.referrals.record_view(referral_id, actor=user_actor(principal.user.id))
    return _detail_view(request, services, referral_id)


def _detail_view(
    request: Request,
    services: Services,
    referral_id: str,
    *,
    form: str = "",
    typed: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    """The referral page; `form` names the track form (`sent`, `status`, `outcome`) that came
    back refused, with what was typed and its errors."""
    evidence = services.referrals.evidence(referral_id)
    return render(
        request,
        "referrals/detail.html",
        {
            "e": evidence,
            "r": evidence.status,
            "disclaimer": DISCLAIMER,
            "units": KNOWN_UNITS,
            "police_statuses": [s.value for s in PoliceStatus],
            "outcomes": [o.value for o in Outcome],
            "names": {user_actor(user.id): user.display_name or user.name for user in services.users.all()},
            "form": form,
            "typed": dict(typed or {}),
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


def _track(
    request: Request,
    services: Services,
    referral_id: str,
    form: str,
    typed: Mapping[str, str],
    step: Any,
) -> Response:
    try:
        with savepoint(services.session):
            step()
    except HustingsError as error:
        return _detail_view(
            request,
            services,
            referral_id,
            form=form,
            typed=typed,
            errors=form_errors(error, TRACK_FIELDS),
            status_code=error.status_code,
        )
    return _back(referral_id)


@router.post("/{referral_id}/pack")
def build_pack(referral_id: str, principal: Liaison, services: ServicesDep) -> Response:
    services.referrals.build_pack(referral_id, actor=user_actor(principal.user.id))
    return _back(referral_id)


@router.get("/{referral_id}/packs/{pack_id}")
@writes_on_read
def download_pack(
    referral_id: str, pack_id: str, principal: Liaison, services: ServicesDep, access: AccessLogDep
) -> Response:
    data, filename = services.referrals.export_pack(referral_id, pack_id, actor=user_actor(principal.user.id))
    access.export(principal, f"/referrals/{referral_id}/packs/{pack_id}")
    return Response(
        data,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


@router.post("/{referral_id}/sent")
def mark_sent(
    referral_id: str,
    principal: Liaison,
    request: Request,
    services: ServicesDep,
    force: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    via: Annotated[str, Form()] = "",
) -> Response:
    def step() -> None:
        services.referrals.send(
            referral_id, actor=user_actor(principal.user.id), force=force, unit=unit, via=via
        )

    return _track(request, services, referral_id, "sent", {"force": force, "unit": unit, "via": via}, step)


@router.post("/{referral_id}/status")
def update_status(
    referral_id: str,
    principal: Liaison,
    request: Request,
    services: ServicesDep,
    police_status: Annotated[str, Form()] = "",
    crime_reference: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    typed = {"police_status": police_status, "crime_reference": crime_reference, "note": note}

    def step() -> None:
        if not police_status:
            raise InvalidInput("police_status: choose what the police said")
        services.referrals.update_status(
            referral_id,
            actor=user_actor(principal.user.id),
            police_status=police_status,
            crime_reference=crime_reference,
            note=note,
        )

    return _track(request, services, referral_id, "status", typed, step)


@router.post("/{referral_id}/outcome")
def record_outcome(
    referral_id: str,
    principal: Liaison,
    request: Request,
    services: ServicesDep,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Close the referral with its outcome: there is no default, the liaison chooses one."""

    def step() -> None:
        if not outcome:
            raise InvalidInput("outcome: choose the outcome the police reported")
        services.referrals.record_outcome(
            referral_id, actor=user_actor(principal.user.id), outcome=outcome, note=note
        )

    return _track(request, services, referral_id, "outcome", {"outcome": outcome, "note": note}, step)
