"""Dependencies shared by every router: the unit of work, services, the access log, the role gate.

Every request runs in one unit of work (`unit_of_work`): it commits when the route returns and
rolls back when it raises, an expected failure or a bug; no route commits by hand. A GET writes
nothing but the access log, which goes in after the response, in a transaction of its own
(`hustings.web.access`). The few GETs that write to the event log (a referral's chain of
custody) say so with `writes_on_read`.

Every route declares the roles it admits with a `RoleGate` (see `allow`), or declares itself
public with `PUBLIC`. A table-driven test walks every route of the app, reads its gate, and
proves that every role it does not admit is refused.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from hustings.auth.model import ALL_ROLES, Principal, Role, looks_like_session_id, looks_like_token
from hustings.errors import Forbidden, HustingsError, NotAuthenticated
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import open_session
from hustings.web.access import AccessLog, AccessSink

SESSION_COOKIE = "hustings_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
CSRF_REFUSED = "csrf_token: missing or wrong; reload the page and try again"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
WRITING_READS: set[Callable[..., Any]] = set()


def writes_on_read(endpoint: Endpoint) -> Endpoint:
    """Mark a GET route that writes to the event log, so its unit of work opens as a writer."""
    WRITING_READS.add(endpoint)
    return endpoint


def get_session(request: Request) -> Iterator[Session]:
    """The request's session (tests put their own in its place).

    Unsafe methods, and GETs marked `writes_on_read`, get a writer's session: on SQLite its
    transaction begins IMMEDIATE at the first statement, so concurrent writers wait their turn
    for the one write lock instead of failing with "database is locked".
    """
    writes = request.method in UNSAFE_METHODS or request.scope.get("endpoint") in WRITING_READS
    with open_session(request.app.state.sessionmaker, writes=writes) as session:
        yield session


def unit_of_work(session: Annotated[Session, Depends(get_session)]) -> Iterator[Session]:
    """The request's transaction: committed when the route returns, before the response is sent;
    rolled back if it raises (an expected failure or a bug), and the error goes on to its handler.
    """
    if not session.in_transaction():
        session.begin()  # open from the start, for storage that asserts it; the database is touched lazily
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


# Function scope: the unit of work ends when the route returns, so a failed commit is the
# request's error rather than something that happens after the client was told "done".
SessionDep = Annotated[Session, Depends(unit_of_work, scope="function")]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_services(request: Request, session: SessionDep) -> Services:
    return Services(
        session=session,
        settings=request.app.state.settings,
        clock=request.app.state.clock,
        detector_provider=request.app.state.detector_provider,
        report_cache=request.app.state.transparency_reports,
        broker=request.app.state.broker,
    )


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_access_sink(request: Request) -> AccessSink:
    """Where the request's access-log lines go once it is answered (tests put their own in its place)."""
    sink: AccessSink = request.app.state.access_log
    return sink


async def get_access_log(
    request: Request, sink: Annotated[AccessSink, Depends(get_access_sink)]
) -> AsyncIterator[AccessLog]:
    """The request's access-log lines; handed to the writer after the response is sent."""
    access = AccessLog(request.app.state.clock)
    try:
        yield access
    finally:
        sink.submit(access.pending)


AccessLogDep = Annotated[AccessLog, Depends(get_access_log)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _count_unread(request: Request, services: Services, principal: Principal) -> None:
    """The header's count of unread notifications, for a browser's page (an API call needs none)."""
    if principal.via == "session" and request.method == "GET":
        request.state.unread = services.notifications.unread_count(principal.user.id)


def authenticate(request: Request, services: Services) -> Principal | None:
    """Who the request's bearer token or session cookie says the caller is; None when it carries
    neither, or a session that is unknown, expired or whose account is disabled. A token that is
    refused raises `NotAuthenticated` saying why: unknown, expired, revoked or the account disabled.
    """
    token = _bearer(request)
    if token is not None:
        return Principal(user=services.accounts.authenticate_token(token), via="token")
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        found = services.users.by_session(session_id, now=services.clock.now())
        if found is not None:
            user, csrf = found
            return Principal(user=user, via="session", session_id=session_id, csrf_token=csrf)
    return None


def has_live_credentials(request: Request, services: Services) -> bool:
    """Whether the request's token or session belongs to a live user. A value that cannot be one
    of ours (wrong shape) is refused without a look-up; otherwise it is `authenticate`'s look-up."""
    token = _bearer(request)
    if token is not None:
        if not looks_like_token(token):
            return False
    elif not looks_like_session_id(request.cookies.get(SESSION_COOKIE, "")):
        return False
    try:
        return authenticate(request, services) is not None
    except NotAuthenticated:
        return False


async def live_credentials(scope: Scope) -> bool:
    """`has_live_credentials` for a request not yet routed (the body limit's check, in
    `hustings.web.middleware.InputGuard`), in a read-only session of its own from
    ``app.state.lookup_session`` (tests put their own in its place)."""
    request = Request(scope)

    def look_up() -> bool:
        with request.app.state.lookup_session() as session:
            services = Services(
                session=session, settings=request.app.state.settings, clock=request.app.state.clock
            )
            return has_live_credentials(request, services)

    return await run_in_threadpool(look_up)


class RoleGate:
    """A dependency that authenticates the caller and admits only `roles`.

    API clients send ``Authorization: Bearer <token>``; browsers carry a session cookie, and
    must then also send the session's CSRF token (header or form field) on unsafe methods.
    Each admitted GET is written to the access log (who viewed what).
    """

    def __init__(self, *roles: Role, public: bool = False, log_access: bool = True) -> None:
        self.roles = frozenset(roles)
        self.public = public
        self.log_access = log_access

    def __repr__(self) -> str:
        return "PUBLIC" if self.public else f"allow({', '.join(sorted(self.roles))})"

    async def __call__(
        self, request: Request, services: ServicesDep, access: AccessLogDep
    ) -> Principal | None:
        if self.public:
            # Who is looking, if anyone, only so the page keeps their menu; a public route admits all.
            with contextlib.suppress(HustingsError):
                request.state.principal = await run_in_threadpool(authenticate, request, services)
                if request.state.principal is not None:
                    _count_unread(request, services, request.state.principal)
            return None
        principal = await run_in_threadpool(authenticate, request, services)
        if principal is None:
            raise NotAuthenticated("authentication required: send a bearer token or log in")
        request.state.principal = principal  # a refusal's page still shows the caller their menu
        if not principal.user.has_any(self.roles):
            raise Forbidden(
                f"your roles ({', '.join(sorted(principal.user.roles))}) do not include one this needs "
                f"({', '.join(sorted(self.roles))})"
            )
        if self.roles & principal.user.roles == {Role.FLAGGER}:
            # Admitted only as a flagger: an election team member's access ends with the period.
            await run_in_threadpool(services.teams.check_flagger, principal.user)
        if principal.via == "session" and request.method in UNSAFE_METHODS:
            await self._check_csrf(request, principal)
        request.state.principal = principal
        _count_unread(request, services, principal)
        if self.log_access and request.method == "GET":
            access.record(principal.user.id, "view", request.url.path)
        return principal

    @staticmethod
    async def _check_csrf(request: Request, principal: Principal) -> None:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if not sent or not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
            raise Forbidden(CSRF_REFUSED)


def route_gates(dependant: Any) -> list[RoleGate]:
    """The role gates among a route's dependencies (`route.dependant`), however deep."""
    found: list[RoleGate] = []
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleGate):
            found.append(dependency.call)
        found.extend(route_gates(dependency))
    return found


def allow(*roles: Role) -> RoleGate:
    """The gate for a route that admits exactly `roles`."""
    if not roles:
        raise ValueError("allow() needs at least one role; use PUBLIC for an open route")
    return RoleGate(*roles)


PUBLIC = RoleGate(public=True)
ANY_ROLE = RoleGate(*ALL_ROLES)

# Annotated aliases used at the top of routes.
AnyUser = Annotated[Principal, Depends(ANY_ROLE)]
Admin = Annotated[Principal, Depends(allow(Role.ADMIN))]
Ingester = Annotated[Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE))]
