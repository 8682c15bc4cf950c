"""The published OpenAPI schema is true of the app, on SQLite and on PostgreSQL.

schemathesis generates requests for every operation in `/openapi.json` (its coverage phase's
boundary and invalid values, then a bounded number of random ones) and sends each as a caller
whose role the route admits. Every answer must be no 5xx, a status the schema declares for the
operation, in a media type it declares, with a body that matches the schema for that status.
Half the requests that name a target or a message name real ones, so the routes get past "not
found" into their work; all the writes of a run are rolled back at its end.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from hustings.auth.model import ALL_ROLES, Role
from hustings.clock import FixedClock
from hustings.services import Services
from hustings.settings import Settings
from hustings.web.app import concept_routers, create_app
from hustings.web.deps import route_gates
from tests.conftest import T0, app_in, bearer, rolled_back, sample_message

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PREFERRED = (Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.POLICE_LIAISON, Role.ANALYST)
"""Whom to send a request as: the first of these the route admits, else any role it admits."""
EXAMPLES = 8
"""Random requests per operation, after the coverage phase's; small, to keep the run to a minute or so."""


def _settings(data_dir: Path | None = None) -> Settings:
    return Settings(
        environment="test",
        assess_on_ingest=False,
        log_json=False,
        log_level="WARNING",
        **({"data_dir": data_dir} if data_dir else {}),
    )


def _published() -> Any:
    """The schema as the app serves it (it depends on no database, so an unopened engine will do)."""
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(_settings(), engine=create_engine("sqlite://"))
    )
    # Methods a route does not have answer 405 from the framework; that is not what is tested here.
    schema.config.phases.coverage.unexpected_methods = set()
    return schema


schema = _published()


@dataclass
class Fuzzed:
    """The app under test, a token for each operation, and the real subjects to name."""

    app: FastAPI
    tokens: dict[tuple[str, str], str]
    real: dict[str, str]
    turn: Iterator[int]

    def token_for(self, method: str, path: str) -> str:
        return self.tokens[(method.upper(), path)]


def _tokens(services: Services) -> dict[tuple[str, str], str]:
    by_role: dict[Role, str] = {}
    for role in ALL_ROLES:
        user = services.users.create(f"fuzz-{role}", {role}, now=T0)
        by_role[role] = services.users.issue_token(user.id, now=T0, expires_at=None)
    chosen: dict[tuple[str, str], str] = {}
    for route in (route for router in concept_routers() for route in router.routes):
        if not isinstance(route, APIRoute):
            continue
        (gate,) = route_gates(route.dependant)
        role = next((r for r in PREFERRED if r in gate.roles), min(gate.roles, default=None))
        for method in route.methods:
            chosen[(method, route.path)] = by_role[role] if role else ""
    return chosen


def _seed(app: FastAPI, token: str) -> dict[str, str]:
    """A target with a handle, two messages addressed to it, and a report on one."""
    with TestClient(app) as client:
        target = client.post(
            "/v1/targets",
            json={"name": "Priya Shah", "role": "mp", "handles": [{"platform": "x", "handle": "@priya"}]},
            headers=bearer(token),
        )
        assert target.status_code == 201, target.text
        ingested = client.post(
            "/v1/messages",
            json={"messages": [sample_message("1"), sample_message("2", text="I know where you live.")]},
            headers=bearer(token),
        )
        assert ingested.status_code == 200, ingested.text
        message_id = ingested.json()["ids"][1]
        report = client.post(
            "/v1/reports", json={"message_id": message_id, "category": "threat"}, headers=bearer(token)
        )
        assert report.status_code == 201, report.text
    return {"target_id": target.json()["id"], "message_id": message_id}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    engine = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_engine")
    clock = FixedClock(T0)
    with rolled_back(engine) as session:
        settings_ = _settings(tmp_path_factory.mktemp("fuzz"))
        services = Services(session=session, settings=settings_, clock=clock)
        tokens = _tokens(services)
        session.commit()
        app = app_in(session, engine, settings_, clock)
        admin = tokens[("POST", "/v1/targets")]
        yield Fuzzed(app=app, tokens=tokens, real=_seed(app, admin), turn=itertools.count())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_the_schema_says(case: Any, fuzzed: Fuzzed) -> None:
    if case.path_parameters and next(fuzzed.turn) % 2:
        for name, value in fuzzed.real.items():
            if name in case.path_parameters:
                case.path_parameters[name] = value
    token = fuzzed.token_for(case.operation.method, case.operation.path)
    case.call_and_validate(app=fuzzed.app, headers=bearer(token) if token else None, checks=CHECKS)
