"""Protected people and their delegates: POST/GET /v1/targets, /v1/targets/{id}/delegates.

A `target` or `delegate` user sees only the targets they are or act for; asking for any other
answers 404 ("no target, or not yours"), never 403, so the existence of a target is not leaked.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hustings.auth.model import Principal, Role
from hustings.auth.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.events import user_actor
from hustings.places import Nation
from hustings.protection.controls import account_ref
from hustings.services import Services
from hustings.targets.model import Target, TargetRole, target_scope, visible_target
from hustings.web.deps import ServicesDep, allow

router = APIRouter(prefix="/v1/targets", tags=["targets"])
Registrar = Annotated[Principal, Depends(allow(Role.ADMIN))]
Viewer = Annotated[
    Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.TARGET, Role.DELEGATE))
]
Guardian = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Optional120 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None
Optional200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None


class HandleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    handle: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TargetCreate(BaseModel):
    """A protected person to register."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    role: TargetRole
    party: Optional120 = None
    constituency: Optional200 = Field(default=None, description="Constituency, ward or area.")
    handles: list[HandleIn] = Field(default_factory=list, max_length=50)
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2)] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 country code: GB for the UK."
    )
    nation: Nation | None = Field(default=None, description="For the UK: the nation (implies GB).")
    auto_shield: bool = Field(
        default=False, description="Switch the shield on automatically when an incident opens."
    )


class TargetPublic(BaseModel):
    id: str
    name: str
    role: str
    party: str | None
    constituency: str | None
    country: str | None
    nation: str | None
    handles: list[HandleIn]
    shield: dict[str, Any]
    open_incidents: int
    auto_shield: bool


class DelegateCreate(BaseModel):
    """Make a new delegate user for this target (name, optional password), or link an existing user."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)] | None = None
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""
    password: Annotated[str, StringConstraints(max_length=PASSWORD_MAX_LENGTH)] | None = Field(
        default=None,
        description="Checked against the password policy: 12 or more characters, not a common one.",
    )
    user_id: str | None = None


class DelegatePublic(BaseModel):
    user_id: str
    name: str
    roles: list[str]
    token: str | None = Field(default=None, description="The new user's API token, shown once.")


def target_public(services: Services, target: Target) -> TargetPublic:
    protection = services.protection
    return TargetPublic(
        id=target.id,
        name=target.name,
        role=target.role.value,
        party=target.party,
        constituency=target.constituency,
        country=target.country,
        nation=target.nation,
        handles=[HandleIn(platform=p, handle=h) for p, h in target.handles],
        shield=protection.shield(target.id).to_json(services.clock.now()),
        open_incidents=len(protection.open_incidents_of(target.id)),
        auto_shield=protection.controls(target.id).auto_shield,
    )


@router.post("", response_model=TargetPublic, status_code=201)
def register_target(body: TargetCreate, principal: Registrar, services: ServicesDep) -> Any:
    """Register a protected person with their handles per platform."""
    handles = []
    for index, item in enumerate(body.handles):
        try:
            ref = account_ref(item.platform, item.handle)
        except InvalidInput as error:
            raise InvalidInput(f"handles.{index}.{error}") from None
        handles.append((ref.platform, ref.handle))
    target = services.targets.create(
        name=body.name,
        role=body.role,
        party=body.party or None,
        constituency=body.constituency or None,
        handles=handles,
        now=services.clock.now(),
        country=body.country or None,
        nation=body.nation.value if body.nation else None,
    )
    if body.auto_shield:
        services.protection.change_settings(target.id, actor=user_actor(principal.user.id), auto_shield=True)
    return target_public(services, target)


@router.get("", response_model=list[TargetPublic])
def list_targets(principal: Viewer, services: ServicesDep) -> Any:
    """Every target the caller may see (a target or delegate: only their own)."""
    scope = target_scope(principal.user)
    return [
        target_public(services, target)
        for target in services.targets.all()
        if scope is None or target.id in scope
    ]


@router.get("/{target_id}", response_model=TargetPublic)
def read_target(target_id: str, principal: Viewer, services: ServicesDep) -> Any:
    return target_public(services, visible_target(services.targets, principal.user, target_id))


@router.get("/{target_id}/delegates", response_model=list[DelegatePublic])
def list_delegates(target_id: str, principal: Guardian, services: ServicesDep) -> Any:
    """The users who are or act for this target."""
    visible_target(services.targets, principal.user, target_id)
    return [
        DelegatePublic(user_id=user_id, name=name, roles=sorted(roles))
        for user_id, name, roles in services.targets.users_of(target_id)
    ]


@router.post("/{target_id}/delegates", response_model=DelegatePublic, status_code=201)
def add_delegate(target_id: str, body: DelegateCreate, principal: Registrar, services: ServicesDep) -> Any:
    """Create a delegate user scoped to this target (their token is shown once), or scope an existing user."""
    visible_target(services.targets, principal.user, target_id)
    now = services.clock.now()
    if body.user_id is not None:
        user = services.users.get(body.user_id)
        if user is None:
            raise NotFound(f"user_id: no user {body.user_id!r}")
        if not user.roles & {Role.DELEGATE, Role.TARGET}:
            raise Conflict(f"user_id: {user.name!r} is neither a delegate nor a target")
        services.targets.add_user(user.id, target_id)
        return DelegatePublic(user_id=user.id, name=user.name, roles=sorted(user.roles))
    if body.name is None:
        raise InvalidInput("name: give a name for a new delegate, or the user_id of an existing one")
    user = services.users.create(
        body.name,
        {Role.DELEGATE},
        now=now,
        display_name=body.display_name,
        password=body.password,
        target_ids=(target_id,),
    )
    token = services.accounts.issue_token(
        user.id, actor=user_actor(principal.user.id), label=f"delegate for {target_id}"
    ).token
    return DelegatePublic(user_id=user.id, name=user.name, roles=sorted(user.roles), token=token)
