"""The target vocabulary."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


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
    handles: tuple[tuple[str, str], ...]


def new_target_id() -> str:
    return "t_" + uuid.uuid4().hex[:16]
