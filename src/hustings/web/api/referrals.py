"""Police referrals and their evidence packs, as JSON: /v1/referrals.

Only the police liaison, moderators and admins may see referrals or packs. Every view is in the
access log (the gate writes GETs) and, for a referral, in its chain of custody; every pack
download is an export in both.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from hustings.auth.model import Principal, Role
from hustings.events import Status, user_actor
from hustings.referrals.hints import DISCLAIMER
from hustings.referrals.model import KNOWN_UNITS, Outcome, PoliceStatus
from hustings.web.deps import AccessLogDep, ServicesDep, allow, writes_on_read
from hustings.web.responses import ZipResponse

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
Liaison = Annotated[Principal, Depends(allow(Role.POLICE_LIAISON, Role.MODERATOR, Role.ADMIN))]


class ReferralCreate(BaseModel):
    message_ids: list[str] = Field(default_factory=list, max_length=200)
    incident_id: str | None = Field(default=None, max_length=120)
    bundle_target_id: str | None = Field(
        default=None, max_length=120, description="Add the messages in this target's evidence bundle."
    )
    force: str = Field(default="", max_length=200, description="The police force, e.g. the local force.")
    unit: str = Field(default="", max_length=200, description=f"A unit, e.g. {KNOWN_UNITS[0]}.")
    note: str = Field(default="", max_length=4000)


class ReferralSend(BaseModel):
    force: str = Field(max_length=200)
    unit: str = Field(default="", max_length=200)
    via: str = Field(
        default="", max_length=200, description="How it went: secure email, portal, in person..."
    )


class StatusUpdate(BaseModel):
    police_status: PoliceStatus
    crime_reference: str = Field(default="", max_length=120)
    note: str = Field(default="", max_length=4000)


class OutcomeCreate(BaseModel):
    outcome: Outcome
    note: str = Field(default="", max_length=4000)


class PackPublic(BaseModel):
    pack_id: str
    pack_sha256: str
    built_at: str
    built_by: str
    download: str


class ReferralPublic(BaseModel):
    id: str
    state: str
    urgent: bool
    urgent_reasons: list[str]
    message_ids: list[str]
    incident_id: str | None
    target_id: str | None
    force: str
    unit: str
    crime_reference: str
    police_status: str | None
    outcome: str | None
    created_at: str | None
    created_by: str | None
    sent_at: str | None
    hours_from_first_report_to_referral: float | None
    packs: list[PackPublic]
    updates: list[dict[str, Any]]


class ReferralDetail(ReferralPublic):
    guidance: str
    offence_hints: list[dict[str, Any]]
    cps_checklist: list[dict[str, str]]
    disclaimer: str
    custody: list[dict[str, str]]


def to_public(status: Status) -> ReferralPublic:
    data = status.data
    return ReferralPublic(
        id=status.subject_id,
        state=status.state,
        urgent=bool(data.get("urgent")),
        urgent_reasons=list(data.get("urgent_reasons", [])),
        message_ids=list(data.get("message_ids", [])),
        incident_id=data.get("incident_id"),
        target_id=status.target_id,
        force=str(data.get("force", "")),
        unit=str(data.get("unit", "")),
        crime_reference=str(data.get("crime_reference", "")),
        police_status=data.get("police_status"),
        outcome=data.get("outcome"),
        created_at=data.get("created_at"),
        created_by=data.get("created_by"),
        sent_at=data.get("sent_at"),
        hours_from_first_report_to_referral=data.get("hours_from_first_report_to_referral"),
        packs=[
            PackPublic(
                pack_id=p["pack_id"],
                pack_sha256=p["pack_sha256"],
                built_at=p["built_at"],
                built_by=p["built_by"],
                download=f"/v1/referrals/{status.subject_id}/packs/{p['pack_id']}",
            )
            for p in data.get("packs", [])
        ],
        updates=list(data.get("updates", [])),
    )


@router.get("", response_model=list[ReferralPublic])
def referrals(_: Liaison, services: ServicesDep) -> Any:
    """Every referral, urgent ones first."""
    return [to_public(status) for status in services.referrals.all()]


@router.post("", response_model=ReferralPublic, status_code=201)
def create_referral(body: ReferralCreate, principal: Liaison, services: ServicesDep) -> Any:
    """Open a referral from messages and/or an incident; urgency is worked out from the evidence."""
    status = services.referrals.create(
        actor=user_actor(principal.user.id),
        message_ids=body.message_ids,
        incident_id=body.incident_id,
        bundle_target_id=body.bundle_target_id,
        force=body.force,
        unit=body.unit,
        note=body.note,
    )
    return to_public(status)


@router.get("/{referral_id}", response_model=ReferralDetail)
@writes_on_read
def read_referral(referral_id: str, principal: Liaison, services: ServicesDep) -> Any:
    """A referral with its offence hints, CPS checklist and chain of custody (this view is logged in it)."""
    referrals = services.referrals
    evidence = referrals.evidence(referral_id)
    referrals.record_view(referral_id, actor=user_actor(principal.user.id))
    public = to_public(evidence.status)
    return ReferralDetail(
        **public.model_dump(),
        guidance=evidence.urgency.guidance,
        offence_hints=[hint.to_json() for hint in evidence.hints],
        cps_checklist=[item.to_json() for item in evidence.checklist],
        disclaimer=DISCLAIMER,
        custody=[link.to_json() for link in evidence.custody],
    )


@router.post("/{referral_id}/packs", response_model=PackPublic, status_code=201)
def build_pack(referral_id: str, principal: Liaison, services: ServicesDep) -> Any:
    """Build an evidence pack now; it is stored encrypted and its digest goes in the log."""
    built = services.referrals.build_pack(referral_id, actor=user_actor(principal.user.id))
    return PackPublic(
        pack_id=built.pack_id,
        pack_sha256=built.pack_sha256,
        built_at=str(built.manifest["built_at"]),
        built_by=str(built.manifest["built_by"]),
        download=f"/v1/referrals/{referral_id}/packs/{built.pack_id}",
    )


@router.get("/{referral_id}/packs/{pack_id}", response_class=ZipResponse)
@writes_on_read
def download_pack(
    referral_id: str, pack_id: str, principal: Liaison, services: ServicesDep, access: AccessLogDep
) -> Response:
    """The pack as a ZIP (PDF, messages, hints, custody, manifest). Logged as an export."""
    data, filename = services.referrals.export_pack(referral_id, pack_id, actor=user_actor(principal.user.id))
    access.export(principal, f"/v1/referrals/{referral_id}/packs/{pack_id}")
    return Response(
        data,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


@router.post("/{referral_id}/sent", response_model=ReferralPublic)
def mark_sent(referral_id: str, body: ReferralSend, principal: Liaison, services: ServicesDep) -> Any:
    """Record that the referral went to a force (and unit), and how."""
    status = services.referrals.send(
        referral_id,
        actor=user_actor(principal.user.id),
        force=body.force,
        unit=body.unit,
        via=body.via,
    )
    return to_public(status)


@router.post("/{referral_id}/status", response_model=ReferralPublic)
def update_status(referral_id: str, body: StatusUpdate, principal: Liaison, services: ServicesDep) -> Any:
    """Record what the police say: status, crime or incident reference, note."""
    status = services.referrals.update_status(
        referral_id,
        actor=user_actor(principal.user.id),
        police_status=body.police_status.value,
        crime_reference=body.crime_reference,
        note=body.note,
    )
    return to_public(status)


@router.post("/{referral_id}/outcome", response_model=ReferralPublic)
def record_outcome(referral_id: str, body: OutcomeCreate, principal: Liaison, services: ServicesDep) -> Any:
    """Close the referral with its outcome."""
    status = services.referrals.record_outcome(
        referral_id,
        actor=user_actor(principal.user.id),
        outcome=body.outcome.value,
        note=body.note,
    )
    return to_public(status)
