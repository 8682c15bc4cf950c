"""The start page: a greeting and the places this user's roles lead to."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hustings.auth.model import ALL_ROLES, Role
from hustings.web.deps import AnyUser, ServicesDep
from hustings.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Start", "/", frozenset(ALL_ROLES), order=0)]

_SEES_COUNTS = frozenset({Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.ANALYST})


@router.get("/")
def home(principal: AnyUser, request: Request, services: ServicesDep) -> Response:
    counts: list[tuple[str, int]] = []
    if principal.user.roles & _SEES_COUNTS:
        counts = [
            ("Messages", services.messages.count()),
            ("Protected people", services.targets.count()),
        ]
    return render(request, "home.html", {"counts": counts})
