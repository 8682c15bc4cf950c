"""Liveness and Prometheus metrics (public: they carry no personal data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from hustings.web.deps import PUBLIC, SessionDep

router = APIRouter(tags=["health"])
Public = Annotated[None, Depends(PUBLIC)]


@router.get("/healthz")
def healthz(_: Public, session: SessionDep) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(_: Public, request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
