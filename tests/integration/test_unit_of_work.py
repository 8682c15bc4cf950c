"""One unit of work per request, on an app over a database of its own (committed for real).

A route's work commits when it returns and is rolled back when it raises, an expected failure
or a bug; the access log is written after the response and a failure to write it never fails
the request; the clock sweep runs on its own schedule beside the server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from hustings.auth.model import Principal, Role
from hustings.clock import FixedClock
from hustings.errors import Conflict
from hustings.moderation.events import ReporterKind
from hustings.moderation.reports import file_report
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from hustings.storage.tables import AccessLogRow, EventRow, TargetRow
from hustings.targets.model import TargetRole
from hustings.web.app import create_app
from hustings.web.deps import ServicesDep, allow
from tests.conftest import T0, bearer, sample_message
from tests.moderation.conftest import person

Admin = Annotated[Principal, Depends(allow(Role.ADMIN))]


def _register(services: Services, name: str) -> None:
    services.targets.create(
        name=name, role=TargetRole.MP, party=None, constituency=None, handles=[], now=services.clock.now()
    )


def probe_router() -> APIRouter:
    """Routes that write a target and then succeed, fail as a user would, or fail as a bug."""
    router = APIRouter(prefix="/probe")

    @router.post("/ok")
    def ok(_: Admin, services: ServicesDep) -> dict[str, str]:
        _register(services, "kept")
        return {"done": "yes"}

    @router.post("/expected")
    def expected(_: Admin, services: ServicesDep) -> dict[str, str]:
        _register(services, "refused")
        raise Conflict("name: refused after writing")

    @router.post("/bug")
    def bug(_: Admin, services: ServicesDep) -> dict[str, str]:
        _register(services, "crashed")
        raise RuntimeError("a bug after writing")

    return router


@pytest.fixture
def own_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'uow.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path,
        assess_on_ingest=False,
        log_json=False,
        log_level="CRITICAL",
        **overrides,
    )


def _admin_token(engine: Engine, settings: Settings) -> str:
    with transaction(make_sessionmaker(engine), writes=True) as session:
        services = Services(session=session, settings=settings, clock=FixedClock(T0))
        user = services.users.create("boss", {Role.ADMIN}, now=T0)
        return services.users.issue_token(user.id, now=T0, expires_at=None)


def _app(engine: Engine, settings: Settings) -> FastAPI:
    app = create_app(settings, engine=engine, clock=FixedClock(T0))
    app.include_router(probe_router())
    return app


def _target_names(engine: Engine) -> list[str]:
    with make_sessionmaker(engine)() as session:
        return sorted(session.scalars(select(TargetRow.name)))


def test_a_route_commits_when_it_returns_and_rolls_back_when_it_raises(
    own_engine: Engine, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    token = _admin_token(own_engine, settings)
    with TestClient(_app(own_engine, settings), raise_server_exceptions=False) as client:
        assert client.post("/probe/ok", headers=bearer(token)).status_code == 200
        refused = client.post("/probe/expected", headers=bearer(token))
        assert refused.status_code == 409 and "refused after writing" in refused.text
        assert client.post("/probe/bug", headers=bearer(token)).status_code == 500
    assert _target_names(own_engine) == ["kept"]


def test_reads_go_in_the_access_log_after_the_response(own_engine: Engine, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    token = _admin_token(own_engine, settings)
    app = _app(own_engine, settings)
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/v1/queues", headers=bearer(token)).status_code == 200
        app.state.access_log.flush()
        with make_sessionmaker(own_engine)() as session:
            lines = list(session.scalars(select(AccessLogRow.resource).where(AccessLogRow.action == "view")))
    assert lines == ["/v1/queues"] * 3


def test_an_access_log_that_cannot_be_written_never_fails_the_read(
    own_engine: Engine, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    token = _admin_token(own_engine, settings)
    app = _app(own_engine, settings)
    with TestClient(app) as client:
        with own_engine.begin() as connection:
            connection.execute(text("DROP TABLE access_log"))
        answered = client.get("/v1/queues", headers=bearer(token))
        app.state.access_log.flush()
        metrics = client.get("/metrics").text
    assert answered.status_code == 200 and answered.json()
    assert "hustings_access_log_failures_total 1.0" in metrics


def test_the_server_sweeps_the_clocks_on_its_own_schedule(own_engine: Engine, tmp_path: Path) -> None:
    """No request is made: the background sweep alone raises the alert, once however often it runs."""
    settings = _settings(tmp_path, clock_sweep_seconds=0.05)
    clock = FixedClock(T0)
    with transaction(make_sessionmaker(own_engine), writes=True) as session:
        services = Services(session=session, settings=settings, clock=clock)
        (message_id,) = services.ingest([sample_message("due")], actor="system").ids
        file_report(
            services.log,
            clock,
            message_id=message_id,
            reporter=person("u", Role.ANALYST),
            reporter_kind=ReporterKind.USER,
            category="threat",
        )
    clock.advance(days=8)
    app = create_app(settings, engine=own_engine, clock=clock, clock_sweep=True)

    def alerts() -> list[str]:
        with make_sessionmaker(own_engine)() as session:
            return list(session.scalars(select(EventRow.subject_id).where(EventRow.kind == "clock.breached")))

    with TestClient(app):
        deadline = time.monotonic() + 60
        while not alerts() and time.monotonic() < deadline:
            time.sleep(0.05)
        found = alerts()
        time.sleep(0.3)  # several more sweeps
        again = alerts()
    assert found == [message_id]
    assert again == [message_id]
