"""Every route declares the roles it admits, and every other role is refused on it.

The table is the app itself: each route of every concept router is read for its `RoleGate`,
so a new route without a declared gate fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hustings.auth.model import ALL_ROLES, Role
from hustings.web.app import concept_routers
from hustings.web.deps import route_gates
from tests.conftest import MakeUser, bearer

ROUTES: list[tuple[str, str, APIRoute]] = sorted(
    (
        (route.path, method, route)
        for router in concept_routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    ),
    key=lambda item: (item[0], item[1]),
)
IDS = [f"{method} {path}" for path, method, _ in ROUTES]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    kwargs: dict[str, Any] = {"headers": headers | {"accept": "application/json"}}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = {}
    return client.request(method, concrete(path), follow_redirects=False, **kwargs).status_code


@pytest.mark.parametrize(("path", "method", "route"), ROUTES, ids=IDS)
def test_every_route_declares_exactly_one_role_gate(path: str, method: str, route: APIRoute) -> None:
    gates = route_gates(route.dependant)
    assert len(gates) == 1, f"{method} {path} declares {len(gates)} role gates: {gates}"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("path", "method", "route"), ROUTES, ids=IDS)
def test_every_role_not_admitted_is_refused(
    path: str, method: str, route: APIRoute, client: TestClient, make_user: MakeUser
) -> None:
    (gate,) = route_gates(route.dependant)
    if gate.public:
        return
    assert call(client, method, path, {}) == 401, "no credentials must be 401"
    refused = [role for role in ALL_ROLES if role not in gate.roles]
    for role in refused:
        _, token = make_user(role)
        status = call(client, method, path, bearer(token))
        assert status == 403, f"{role} got {status} on {method} {path}"
    for role in gate.roles:
        _, token = make_user(role)
        assert call(client, method, path, bearer(token)) not in {401, 403}, (
            f"{role} refused on {method} {path}"
        )


def test_public_routes_are_few_and_deliberate() -> None:
    public = {f"{method} {path}" for path, method, route in ROUTES if route_gates(route.dependant)[0].public}
    assert public <= {
        "GET /healthz",
        "GET /favicon.ico",  # the site icon, asked for by browsers whatever the page links
        "GET /metrics",
        "GET /login",
        "POST /login",
        "GET /login/second-factor",
        "POST /login/second-factor",
        "GET /transparency",
        "GET /transparency/{period}",
        "GET /v1/transparency",
        "GET /complaints/new",
        "POST /complaints/new",
        "GET /complaints/survey/{token}",  # the confidence survey: the one-time link is the credential
        "POST /complaints/survey/{token}",
        "GET /complaints/track/{token}",  # a party's own case page: the signed link is the credential
        "GET /join/{token}",  # an election team's invitation: the one-time token is the credential
        "POST /join/{token}",
    }


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_session_needs_its_csrf_token_for_unsafe_methods(client: TestClient, make_user: MakeUser) -> None:
    make_user(Role.ADMIN, password="a-long-password", name="boss")
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert form is not None
    login = client.post(
        "/login",
        data={"name": "boss", "password": "a-long-password", "csrf_token": form[1]},
        follow_redirects=False,
    )
    assert login.status_code == 303
    refused = client.post(
        "/admin/users", data={"name": "x", "roles": "analyst"}, headers={"accept": "application/json"}
    )
    assert refused.status_code == 403 and "csrf" in refused.text.lower()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_views_are_written_to_the_access_log(client: TestClient, make_user: MakeUser, services: Any) -> None:
    user, token = make_user(Role.ADMIN)
    client.get("/admin/access-log", headers=bearer(token))
    assert any(
        row.user_id == user.id and row.resource == "/admin/access-log" for row in services.users.access_log()
    )


def test_all_roles_are_covered() -> None:
    assert {role.value for role in Role} == {
        "admin",
        "moderator",
        "triage",
        "flagger",
        "target",
        "delegate",
        "police_liaison",
        "analyst",
        "complaints_officer",
        "investigator",
        "panel_member",
        "oversight",
        "party_admin",
    }
