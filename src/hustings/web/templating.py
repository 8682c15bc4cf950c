"""Jinja2 rendering with the layout's context: the user, their navigation and CSRF token.

Autoescaping is on for every template, so user-supplied text is always escaped. Every template
may use the filters ``plain`` (a code in words) and ``when``/``day`` (a time, or a date, in local
time: ``8 Dec 2026, 18:23``), from `hustings.wording`.
"""

from __future__ import annotations

import importlib
import pkgutil
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from hustings import wording
from hustings.auth import passwords
from hustings.auth.model import Principal, Role

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.autoescape = True
templates.env.filters.update(wording.FILTERS)
templates.env.globals["password_policy"] = {
    "min_length": passwords.MIN_LENGTH,
    "max_length": passwords.MAX_LENGTH,
}


def sender_path(author_key: str) -> str:
    """The page of a sender account (`hustings.web.pages.senders`)."""
    return f"/senders/{quote(author_key, safe='')}"


def new_nonce() -> str:
    """A form's own key: what is typed into it is recorded once however often it is sent."""
    return secrets.token_hex(16)


templates.env.globals["sender_path"] = sender_path
templates.env.globals["new_nonce"] = new_nonce


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link in the navigation, shown only to the roles that may follow it."""

    label: str
    path: str
    roles: frozenset[Role]
    order: int = 50


def all_nav_items() -> list[NavItem]:
    import hustings.web.pages as pages

    items: list[NavItem] = []
    for module in pkgutil.iter_modules(pages.__path__):
        loaded = importlib.import_module(f"{pages.__name__}.{module.name}")
        items.extend(getattr(loaded, "NAV", []))
    return sorted(items, key=lambda item: (item.order, item.label))


def nav_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in all_nav_items() if principal.user.roles & item.roles]


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "principal", None)
    full = {
        "principal": principal,
        "user": principal.user if principal else None,
        "nav": nav_for(principal),
        "csrf_token": principal.csrf_token if principal else "",
        "current_path": request.url.path,
        "unread": getattr(request.state, "unread", 0),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)
