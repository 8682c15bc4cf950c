"""The guidance library's pages, for anyone signed in: /guidance and /guidance/{slug}."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from hustings.auth.model import ALL_ROLES
from hustings.elections.guidance import library, page
from hustings.web.deps import AnyUser
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/guidance", include_in_schema=False)
NAV = [NavItem("Guidance", "/guidance", frozenset(ALL_ROLES), order=85)]


@router.get("")
def guidance_index(principal: AnyUser, request: Request) -> Response:
    return render(request, "guidance/index.html", {"pages": library()})


@router.get("/{slug}")
def guidance_page(slug: str, principal: AnyUser, request: Request) -> Response:
    found = page(slug)
    # markdown-it renders with raw HTML escaped (see hustings.elections.guidance), from our own files.
    body = Markup(found.html)  # noqa: S704 - escaped by the renderer, text from the package
    return render(request, "guidance/page.html", {"page": found, "body": body, "pages": library()})
