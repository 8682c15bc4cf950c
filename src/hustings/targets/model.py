"""The target vocabulary: protected people, their roles, and who may see which."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from hustings.auth.model import Role, User
from hustings.errors import NotFound


class TargetRole(StrEnum):
    CANDIDATE = "candidate"
    MP = "mp"
    COUNCILLOR = "councillor"
    MAYOR = "mayor"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Target:
    """A protected person, with their handles per platform (normalised: lower case, no '@')."""

    id: str
    name: str
    role: TargetRole
    party: str | None
    constituency: str | None
    """Constituency, ward or area, as the person stands for it."""
    handles: tuple[tuple[str, str], ...]
    country: str | None = None
    """ISO 3166-1 alpha-2, `GB` for the UK (`hustings.places`)."""
    nation: str | None = None
    """For the UK: england, scotland, wales or northern_ireland (`hustings.places.Nation`)."""


def new_target_id() -> str:
    return "t_" + uuid.uuid4().hex[:16]


# Roles whose holders see every target; `target` and `delegate` users see only their own.
ALL_TARGETS_ROLES = frozenset({Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.ANALYST, Role.POLICE_LIAISON})


def target_scope(user: User) -> frozenset[str] | None:
    """The target ids a user may see, or None for every target."""
    if user.roles & ALL_TARGETS_ROLES:
        return None
    return frozenset(user.target_ids)


def may_see(user: User, target_id: str) -> bool:
    scope = target_scope(user)
    return scope is None or target_id in scope


def check_scope(user: User, target_id: str) -> None:
    """Raise `NotFound` (not `Forbidden`: a target outside your scope is not yours to know of)."""
    if not may_see(user, target_id):
        raise NotFound(f"target: no target {target_id!r}, or not yours")


class TargetDirectory(Protocol):
    """Where registered targets are looked up (`hustings.storage.targets.TargetStore`)."""

    def get(self, target_id: str) -> Target | None: ...


def visible_target(targets: TargetDirectory, user: User, target_id: str) -> Target:
    """The target, if it exists and `user` may see it; `NotFound` otherwise (the same answer for
    both, so a target outside your scope is not leaked)."""
    check_scope(user, target_id)
    target = targets.get(target_id)
    if target is None:
        raise NotFound(f"target: no target {target_id!r}, or not yours")
    return target
