"""Referral pages: the list with a form to open one, and each referral with its evidence,
offence hints, chain of custody, packs and the forms that move it on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.events import user_actor
from hustings.referrals.hints import DISCLAIMER
from hustings.referrals.model import KNOWN_UNITS, Outcome, PoliceStatus
from hustings.web.deps import AccessLogDep, ServicesDep, allow, writes_on_read
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/referrals", include_in_schema=False)
ROLES = frozenset({Role.POLICE_LIAISON, Role.MODERATOR, Role.ADMIN})
Liaison = Annotated[Principal, Depends(allow(*sorted(ROLES)))]
NAV = [NavItem("Referrals", "/referrals", ROLES, order=40)]


def _split(ids: str) -> list[str]:
    return [part for part in ids.replace(",", " ").split() if part]


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
    """Every referral, urgent first; `?message_ids=` fills the form to open one."""
    return render(
        request,
        "referrals/list.html",
        {
            "referrals": services.referrals.all(),
            "prefill_ids": " ".join(_split(message_ids)),
            "prefill_incident": incident_id,
            "prefill_bundle": bundle_target_id,
            "units": KNOWN_UNITS,
        },
    )


@router.post("")
def create_referral(
    principal: Liaison,
    services: ServicesDep,
    message_ids: Annotated[str, Form()] = "",
    incident_id: Annotated[str, Form()] = "",
    bundle_target_id: Annotated[str, Form()] = "",
    force: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    status = services.referrals.create(
        actor=user_actor(principal.user.id),
        message_ids=_split(message_ids),
        incident_id=incident_id.strip() or None,
        bundle_target_id=bundle_target_id.strip() or None,
        force=force,
        unit=unit,
        note=note,
    )
    return _back(status.subject_id)


@router.get("/{referral_id}")
@writes_on_read
def referral_page(referral_id: str, principal: Liaison, request: Request, services: ServicesDep) -> Response:
    """The referral with its evidence; the view goes in its chain of custody."""
    referrals = services.referrals
    evidence = referrals.evidence(referral_id)
    referrals.record_view(referral_id, actor=user_actor(principal.user.id))
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
            "names": {user_actor(user.id): user.name for user in services.users.all()},
        },
    )


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
    services: ServicesDep,
    force: Annotated[str, Form()],
    unit: Annotated[str, Form()] = "",
    via: Annotated[str, Form()] = "",
) -> Response:
    services.referrals.send(
        referral_id,
        actor=user_actor(principal.user.id),
        force=force,
        unit=unit,
        via=via,
    )
    return _back(referral_id)


@router.post("/{referral_id}/status")
def update_status(
    referral_id: str,
    principal: Liaison,
    services: ServicesDep,
    police_status: Annotated[str, Form()],
    crime_reference: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    services.referrals.update_status(
        referral_id,
        actor=user_actor(principal.user.id),
        police_status=police_status,
        crime_reference=crime_reference,
        note=note,
    )
    return _back(referral_id)


@router.post("/{referral_id}/outcome")
def record_outcome(
    referral_id: str,
    principal: Liaison,
    services: ServicesDep,
    outcome: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    services.referrals.record_outcome(
        referral_id, actor=user_actor(principal.user.id), outcome=outcome, note=note
    )
    return _back(referral_id)
