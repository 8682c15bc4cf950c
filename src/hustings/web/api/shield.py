"""Shield mode for one target: read it, switch it on (7 days by default), extend it, switch it off, recap.

Routes under /v1/targets/{target_id}/shield. The target, their delegates and admins may change
it; moderators and triage may read it. A target outside the caller's scope answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal, Role
from hustings.events import user_actor
from hustings.protection.shield import DEFAULT_SHIELD_DAYS, MAX_SHIELD_DAYS
from hustings.targets.model import visible_target
from hustings.web.deps import ServicesDep, allow

router = APIRouter(prefix="/v1/targets/{target_id}/shield", tags=["shield"])
Viewer = Annotated[
    Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.TARGET, Role.DELEGATE))
]
Guardian = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]


class ShieldChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: float | None = Field(
        default=None,
        gt=0,
        le=MAX_SHIELD_DAYS,
        description=f"How long (or how much longer); {DEFAULT_SHIELD_DAYS} days if left out.",
    )


class ShieldPublic(BaseModel):
    target_id: str
    on: bool
    state: str = Field(description="`on`, `off`, or `suggested` (an incident opened while it was off).")
    since: str | None
    until: str | None
    extended: int
    suggested_by: str | None
    incident_id: str | None
    last_recap: dict[str, Any] | None


@router.get("", response_model=ShieldPublic)
def read_shield(target_id: str, principal: Viewer, services: ServicesDep) -> Any:
    visible_target(services.targets, principal.user, target_id)
    return services.protection.shield(target_id).to_json(services.clock.now())


@router.post("", response_model=ShieldPublic, status_code=201)
def enable_shield(target_id: str, body: ShieldChange, principal: Guardian, services: ServicesDep) -> Any:
    """Switch the shield on: new and unknown accounts, and hostile messages, are held for review."""
    visible_target(services.targets, principal.user, target_id)
    shield = services.protection.enable_shield(target_id, actor=user_actor(principal.user.id), days=body.days)
    return shield.to_json(services.clock.now())


@router.post("/extend", response_model=ShieldPublic)
def extend_shield(target_id: str, body: ShieldChange, principal: Guardian, services: ServicesDep) -> Any:
    visible_target(services.targets, principal.user, target_id)
    shield = services.protection.extend_shield(target_id, actor=user_actor(principal.user.id), days=body.days)
    return shield.to_json(services.clock.now())


@router.delete("", response_model=ShieldPublic)
def disable_shield(target_id: str, principal: Guardian, services: ServicesDep) -> Any:
    """Switch the shield off now; the recap of what it held is kept with it."""
    visible_target(services.targets, principal.user, target_id)
    shield = services.protection.disable_shield(target_id, actor=user_actor(principal.user.id))
    return shield.to_json(services.clock.now())


@router.get("/recap")
def shield_recap(target_id: str, principal: Guardian, services: ServicesDep) -> dict[str, Any]:
    """What the shield held and why: of the period running now, or else of the last one."""
    visible_target(services.targets, principal.user, target_id)
    return services.protection.shield_recap(target_id)
