"""What happens to every request before a route sees it and after it answers, outermost first.

`RequestObserver` gives each request an id (returned in ``X-Request-Id``), writes one JSON log
line for it and counts it in ``/metrics``. An error no handler expected is logged once, with
the request id, the error's type and the frames it was raised through, and never its message
or the SQL parameters a database error quotes (handles, message text, password hashes); it is
counted, and answered 500 with the request id. The observer also sets the security headers:
a Content-Security-Policy that admits only this server's own scripts and styles, and
``Cache-Control: no-store`` on everything but the static files, since pages and answers carry
abusive text and tokens.

`InputGuard` refuses, before routing, authentication or parsing, a body over its limit (413,
from ``Content-Length`` or as soon as a streamed body passes it) and a NUL character in the
path, the query or a JSON or form body (422 naming where), which PostgreSQL cannot store. A
route that validates the items of a batch on its own (ingest) is left to name the bad items
itself, so the good ones beside them are stored.

The limit is small (`ANONYMOUS_BODY_BYTES`) unless the request carries a token or session that
belongs to a live user. Those are looked up only when a body would pass the small limit, once
per request, and a token or session id of the wrong shape not at all; so nearly every request
costs no look-up here, and a made-up ``Authorization`` header buys no more than no header.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import PurePath
from typing import Any
from urllib.parse import parse_qsl

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hustings.web.errors import FieldError, error_body, internal_error_body, invalid_body
from hustings.web.templating import render

log = logging.getLogger("hustings.web")

REQUEST_ID_HEADER = "x-request-id"
CLIENT_CLOSED = 499
"""The status logged for a request whose client went away before any answer (nginx's convention)."""
_GIVEN_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# FastAPI's own API explorer pages load Swagger UI and ReDoc from a CDN with an inline script.
_THIRD_PARTY_PAGES = ("/docs", "/redoc")
_STATIC = "/static/"

ANONYMOUS_BODY_BYTES = 64 * 1024
"""The most a request without a live user's token or session may send (the login form is a few hundred bytes)."""
_NO_CREDENTIALS = "a request without a token or session"
_NOT_LIVE = "a request without a valid token or session"
_CREDENTIALED = "this request"
NUL_ERROR = "contains a NUL character (\\u0000), which cannot be stored"
_JSON_NUL = re.compile(rb"\\u0000")


def request_id_for(headers: Headers) -> str:
    """The caller's ``X-Request-Id`` when it is a plain token, otherwise a new one."""
    given = headers.get(REQUEST_ID_HEADER, "")
    return given if _GIVEN_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:12]


def security_headers(path: str) -> dict[str, str]:
    """The headers every answer to `path` carries unless its route set its own."""
    headers = {
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
    }
    if not path.startswith(_THIRD_PARTY_PAGES):
        headers["content-security-policy"] = CONTENT_SECURITY_POLICY
    if not path.startswith(_STATIC):
        headers["cache-control"] = "no-store"
    return headers


def error_summary(error: BaseException) -> dict[str, Any]:
    """What the log may say about an error: types, database error codes and frames; no messages.

    A message can quote anything: SQLAlchemy's quotes the statement's parameters, PostgreSQL's
    quotes the duplicate key, and our own may quote the input.
    """
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    summary: dict[str, Any] = {
        "error": _qualified(type(error)),
        "causes": [_qualified(type(cause)) for cause in chain[1:]],
        "where": _where(error),
    }
    for cause in chain:
        code = getattr(cause, "sqlstate", None) or getattr(cause, "sqlite_errorname", None)
        if isinstance(code, str):
            summary["database_code"] = code
            break
    return summary


def _where(error: BaseException) -> list[str]:
    """The frames it passed through, outermost first: all of ours, and the last three wherever they are."""
    frames = traceback.extract_tb(error.__traceback__)
    kept = [
        f"{_short(frame.filename)}:{frame.lineno} in {frame.name}"
        for index, frame in enumerate(frames)
        if index >= len(frames) - 3 or _short(frame.filename).startswith("hustings/")
    ]
    return kept[-20:]


def _qualified(kind: type[BaseException]) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _short(filename: str) -> str:
    parts = PurePath(filename).parts
    for anchor in ("site-packages", "src"):
        if anchor in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(anchor) :])
    return PurePath(filename).name


class RequestObserver:
    """Request id, access line, metrics, security headers, and the one place a bug becomes a 500."""

    def __init__(self, app: ASGIApp, *, requests: Counter, latency: Histogram, errors: Counter) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_for(Headers(scope=scope))
        scope.setdefault("state", {})["request_id"] = request_id
        extra = security_headers(scope["path"])
        status = CLIENT_CLOSED  # until an answer starts
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as error:  # the last line of defence: log it without its message, answer 500
            route = _route_of(scope)
            log.error(
                "unhandled error",
                extra={"request_id": request_id, "method": scope["method"], "route": route}
                | error_summary(error),
            )
            self.errors.labels(route, type(error).__name__).inc()
            status = 500
            if not response_started:  # otherwise the client has half an answer; the server closes it
                await _internal_error(scope, receive, request_id)(scope, receive, send_with_headers)
        else:
            if status >= 500:  # a handler answered 5xx itself (a ConfigurationError): an error all the same
                route = _route_of(scope)
                kind = scope.get("state", {}).get("error") or f"HTTP {status}"
                log.error(
                    "error answered",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "route": route,
                        "error": kind,
                    },
                )
                self.errors.labels(route, kind.rsplit(".", 1)[-1]).inc()
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            self.requests.labels(scope["method"], route, str(status)).inc()
            self.latency.labels(route).observe(elapsed)
            principal = scope.get("state", {}).get("principal")
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": logged_path(scope),
                    "route": route,
                    "status": status,
                    "ms": round(elapsed * 1000, 1),
                    "user": principal.user.id if principal else None,
                },
            )


SECRET_PATH_PARAMETERS = frozenset({"token"})
"""Path parameters that are bearer secrets (an invitation, a survey or a case-tracking link):
whoever reads the server log must not be able to follow them."""


def logged_path(scope: Scope) -> str:
    """The request's path as the log may show it: each secret path parameter replaced."""
    path = str(scope["path"])
    for name, value in (scope.get("path_params") or {}).items():
        if name in SECRET_PATH_PARAMETERS and value:
            path = path.replace(str(value), "[secret]")
    return path


def _route_of(scope: Scope) -> str:
    return str(getattr(scope.get("route"), "path", "unmatched"))


def _internal_error(scope: Scope, receive: Receive, request_id: str) -> Response:
    message = (
        f"something went wrong on our side; the server log has the details under request id {request_id}"
    )
    request = Request(scope, receive)
    if "text/html" in request.headers.get("accept", "") and not scope["path"].startswith("/v1/"):
        try:
            return render(request, "error.html", {"status": 500, "message": message}, status_code=500)
        except Exception:  # the page itself may be what is broken; say it in plain text
            return PlainTextResponse(message, status_code=500)
    return JSONResponse(internal_error_body(message, request_id), status_code=500)


class InputGuard:
    """Body limits and NUL characters, checked before the app runs; see the module docstring.

    `credentials_live` says whether the request's token or session belongs to a live user (the
    larger `max_body_bytes` is theirs). `itemwise` maps (method, path) to the top-level field of a
    JSON body whose items the route validates one by one.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        anonymous_body_bytes: int = ANONYMOUS_BODY_BYTES,
        session_cookie: str,
        credentials_live: Callable[[Scope], Awaitable[bool]],
        itemwise: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.anonymous_body_bytes = min(anonymous_body_bytes, max_body_bytes)
        self.session_cookie = session_cookie
        self.credentials_live = credentials_live
        self.itemwise = dict(itemwise or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        where = nul_in_target(scope["path"], scope.get("query_string", b""))
        if where is not None:
            await _unprocessable(where)(scope, receive, send)
            return
        limit = _BodyLimit(self, scope, headers)
        declared = _content_length(headers)
        if declared is not None and await limit.passed(declared):
            await _too_large(declared, limit.bytes, limit.whose)(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if await limit.passed(len(body)):
                await _too_large(None, limit.bytes, limit.whose)(scope, receive, send)
                return
        where = nul_in_body(
            headers.get("content-type", ""), bytes(body), self.itemwise.get((scope["method"], scope["path"]))
        )
        if where is not None:
            await _unprocessable(where)(scope, receive, send)
            return
        await self.app(scope, _replay(bytes(body), receive), send)


class _BodyLimit:
    """One request's body limit: the small one until its credentials are found live, which is
    asked once, and only of a body that would pass the small one but not the large one."""

    def __init__(self, guard: InputGuard, scope: Scope, headers: Headers) -> None:
        self.guard = guard
        self.scope = scope
        cookies = headers.get("cookie", "")
        self.credentials = "authorization" in headers or f"{guard.session_cookie}=" in cookies
        self.bytes = guard.anonymous_body_bytes
        self.whose = _CREDENTIALED if self.credentials else _NO_CREDENTIALS
        self.asked = not self.credentials

    async def passed(self, size: int) -> bool:
        """Whether a body of `size` bytes is over this request's limit."""
        if size <= self.bytes:
            return False
        if self.asked:
            return True
        self.asked = True
        if size > self.guard.max_body_bytes:  # over either limit: no need to look anything up
            self.bytes = self.guard.max_body_bytes
            return True
        if await self.guard.credentials_live(self.scope):
            self.bytes = self.guard.max_body_bytes
            return False
        self.whose = _NOT_LIVE
        return True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then waits on the client as before."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _too_large(declared: int | None, limit: int, whose: str) -> Response:
    size = f"{declared} bytes" if declared is not None else "more"
    return JSONResponse(
        error_body(f"body: {size} is over the limit of {limit} bytes for {whose}"),
        status_code=413,
        headers={"connection": "close"},
    )


def _unprocessable(where: str) -> Response:
    return JSONResponse(invalid_body([FieldError(field=where, error=NUL_ERROR)]), status_code=422)


def nul_in_target(path: str, query: bytes) -> str | None:
    """``path`` or ``query.<name>`` where the URL holds a NUL character, or None."""
    if "\x00" in path:
        return "path"
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return f"query.{_shown(name)}"
    return None


def nul_in_body(content_type: str, body: bytes, itemwise: str | None = None) -> str | None:
    """Where a JSON or form body holds a NUL character (``body.note``, ``body.items.2.name``), or None.

    The items of the top-level `itemwise` list are skipped: the route names them itself.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded" and (b"%00" in body or b"\x00" in body):
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return f"body.{_shown(name)}"
        return None
    if (kind == "application/json" or kind.endswith("+json")) and _JSON_NUL.search(body):
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON the app can read either; it answers that itself
        for location, text in _strings(document, itemwise):
            if "\x00" in text:
                return ".".join(["body", *(_shown(str(part)) for part in location)])
    return None


def _strings(document: object, itemwise: str | None) -> Iterator[tuple[tuple[object, ...], str]]:
    """Every key and string in a JSON document with its location, depth first, without recursion."""
    stack: list[tuple[tuple[object, ...], object]] = [((), document)]
    while stack:
        location, value = stack.pop()
        if isinstance(value, str):
            yield location, value
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                yield (*location, key), key
                if not (location == () and key == itemwise and isinstance(item, list)):
                    stack.append(((*location, key), item))
        elif isinstance(value, list):
            stack.extend(((*location, index), item) for index, item in reversed(list(enumerate(value))))


def _shown(name: str) -> str:
    return name.replace("\x00", "\\u0000")
