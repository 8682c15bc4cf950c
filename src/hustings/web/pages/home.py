"""The start page: a greeting and the places this user's roles lead to."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from hustings.auth.model import ALL_ROLES, Role
from hustings.storage.tables import MessageRow, TargetRow
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
            ("Messages", services.session.scalar(select(func.count()).select_from(MessageRow)) or 0),
            ("Protected people", services.session.scalar(select(func.count()).select_from(TargetRow)) or 0),
        ]
    return render(request, "home.html", {"counts": counts})
