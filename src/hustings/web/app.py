"""The app factory. Nothing happens at import time; `create_app` reads settings once."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import hustings
from hustings import wording
from hustings.clock import Clock, SystemClock
from hustings.errors import BrokerUnavailable, HustingsError, NotAuthenticated
from hustings.logging import configure_logging
from hustings.messages.model import MessageIn
from hustings.services import DetectorProvider, configured_detector
from hustings.settings import Settings
from hustings.storage.database import engine_from_settings, make_sessionmaker, open_session
from hustings.transparency.service import ReportCache
from hustings.web.access import AccessLogWriter
from hustings.web.deps import SESSION_COOKIE, authenticate, live_credentials
from hustings.web.errors import FieldError, document_errors, error_body, internal_error_body, invalid_body
from hustings.web.middleware import InputGuard, RequestObserver
from hustings.web.sweep import sweep_every
from hustings.web.templating import render

STATIC = Path(__file__).parent / "static"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hustings_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "hustings_http_request_seconds", "HTTP request latency", ["route"], registry=self.registry
        )
        self.ingested = Counter(
            "hustings_messages_ingested", "Messages stored by ingest", registry=self.registry
        )
        self.errors = Counter(
            "hustings_http_errors",
            "Unhandled errors, answered 500 (the log has each one under its request id)",
            ["route", "error"],
            registry=self.registry,
        )
        self.access_log_failures = Counter(
            "hustings_access_log_failures",
            "Access-log lines that could not be written",
            registry=self.registry,
        )


def _look_up_caller(app: FastAPI, request: Request) -> None:
    """Who is asking, for a page no route answered (so no role gate looked): only for the menu."""
    from hustings.services import Services

    with contextlib.suppress(Exception), app.state.lookup_session() as session:
        services = Services(session=session, settings=app.state.settings, clock=app.state.clock)
        request.state.principal = authenticate(request, services)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/v1/")


def concept_routers() -> list[APIRouter]:
    """Every API router, then every page router, one module per concept, in name order."""
    import hustings.web.api as api
    import hustings.web.pages as pages

    routers: list[APIRouter] = []
    for package in (api, pages):
        for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            loaded = importlib.import_module(f"{package.__name__}.{module.name}")
            router = getattr(loaded, "router", None)
            if isinstance(router, APIRouter):
                routers.append(router)
    return routers


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        message_schema = MessageIn.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in message_schema.pop("$defs", {}).items():
            components[name] = definition
        components["MessageIn"] = message_schema
        batch = components.get("IngestBatch", {})
        if "properties" in batch:
            batch["properties"]["messages"]["items"] = {"$ref": "#/components/schemas/MessageIn"}
        document_errors(schema, concept_routers())
        app.openapi_schema = schema
        return schema

    return build


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    detector_provider: DetectorProvider | None = None,
    clock_sweep: bool = False,
) -> FastAPI:
    """Build the Hustings web app. Tests pass their own engine, clock or detector.

    With `clock_sweep` (as `hustings serve` does) the statutory clocks are swept in the
    background every `settings.clock_sweep_seconds` while the app runs.
    """
    settings = settings or Settings()
    configure_logging(settings)
    wording.set_zone(settings.timezone)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sweeper = None
        if clock_sweep and settings.clock_sweep_seconds > 0:
            sweeper = asyncio.create_task(
                sweep_every(settings.clock_sweep_seconds, app.state.sessionmaker, settings, app.state.clock)
            )
        yield
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        app.state.access_log.close()
        if app.state.broker is not None:
            app.state.broker.close()

    app = FastAPI(
        title="Hustings",
        version=hustings.__version__,
        description="Protects people in public life from intimidation.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine or engine_from_settings(settings)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.lookup_session = partial(open_session, app.state.sessionmaker, writes=False)
    app.state.clock = clock or SystemClock()
    app.state.detector_provider = detector_provider or partial(configured_detector, settings)
    app.state.metrics = Metrics()
    app.state.broker = None
    if settings.broker_url is not None:
        from hustings.stream.broker import Broker
        from hustings.stream.metrics import StreamCollector

        app.state.broker = Broker(settings)
        app.state.metrics.registry.register(StreamCollector(app.state.broker))
    app.state.access_log = AccessLogWriter(app.state.sessionmaker, app.state.metrics.access_log_failures)
    app.state.transparency_reports = ReportCache()  # the page and the API share it
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in concept_routers():
        app.include_router(router)
    app.openapi = _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented override
    # Added innermost first: the observer wraps the guard, so refused bodies are logged and counted.
    app.add_middleware(
        InputGuard,
        max_body_bytes=settings.max_body_bytes,
        session_cookie=SESSION_COOKIE,
        credentials_live=live_credentials,
        itemwise={("POST", "/v1/messages"): "messages"},
    )
    metrics: Metrics = app.state.metrics
    app.add_middleware(
        RequestObserver, requests=metrics.requests, latency=metrics.latency, errors=metrics.errors
    )

    @app.exception_handler(HustingsError)
    async def expected_failure(request: Request, error: HustingsError) -> Response:
        if error.status_code >= 500:
            request.state.error = (
                f"{type(error).__module__}.{type(error).__qualname__}"  # logged by the observer
            )
        if isinstance(error, NotAuthenticated) and _wants_html(request):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        if _wants_html(request):
            return render(
                request,
                "error.html",
                {"status": error.status_code, "message": str(error)},
                status_code=error.status_code,
            )
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotAuthenticated) else None
        if isinstance(error, BrokerUnavailable):
            headers = {"Retry-After": str(error.retry_after_seconds)}
        body = (
            internal_error_body(str(error), request.state.request_id)
            if error.status_code >= 500
            else error_body(str(error))
        )
        return JSONResponse(body, status_code=error.status_code, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def not_found_page(request: Request, error: StarletteHTTPException) -> Response:
        """A browser asking for a page that is not there gets the 404 page, with their menu."""
        if error.status_code != 404 or not _wants_html(request):
            return await http_exception_handler(request, error)
        await run_in_threadpool(_look_up_caller, app, request)
        message = "There is no page at this address. It may have moved, or the link may be mistyped."
        return render(request, "error.html", {"status": 404, "message": message}, status_code=404)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = [
            FieldError(field=".".join(str(part) for part in item["loc"]), error=item["msg"])
            for item in error.errors()
        ]
        return JSONResponse(invalid_body(problems), status_code=422)

    return app
