"""A real 500 (a route that hits a broken database), on SQLite and PostgreSQL: logged once as
JSON under the request id the answer carries, with no SQL parameters or message text, and
counted in /metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from hustings.auth.model import Role
from hustings.errors import ConfigurationError
from hustings.logging import json_formatter
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker, upgrade
from hustings.web.app import create_app
from tests.conftest import LiveServer, bearer, migrated_database, sample_message

SECRET_TEXT = "you will regret this, traitor"
SECRET_HANDLE = "@priyaraman4fenmarsh"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of this test's own, which it may break."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'broken.sqlite3'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    with migrated_database(request.getfixturevalue("postgres_url"), "hustings_broken") as engine:
        yield engine


def _admin_token(engine: Engine, settings: Settings) -> str:
    with make_sessionmaker(engine)() as session:
        services = Services(session=session, settings=settings)
        user = services.users.create("ada", {Role.ADMIN}, now=services.clock.now())
        token = services.users.issue_token(user.id, now=services.clock.now(), expires_at=None)
        session.commit()
    return token


def _break(engine: Engine, table: str = "message_targets") -> None:
    # Ingest writes authors, then messages, then message_targets: the last insert fails, and its
    # parameters are the message id, the target's handle and (in the row before) the text.
    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))


@contextmanager
def captured(logger: str) -> Iterator[io.StringIO]:
    """Everything `logger` writes, formatted by the production JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    target = logging.getLogger(logger)
    target.addHandler(handler)
    try:
        yield stream
    finally:
        target.removeHandler(handler)


def _samples(metrics_text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == name
    ]


def test_a_500_is_logged_once_as_json_without_parameters_and_counted(
    own_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(
        environment="test", data_dir=tmp_path, assess_on_ingest=False, log_json=True, log_level="INFO"
    )
    token = _admin_token(own_engine, settings)
    app = create_app(settings, engine=own_engine)
    _break(own_engine)
    message = sample_message("1", text=SECRET_TEXT, targets=[SECRET_HANDLE])
    with captured("hustings") as log, TestClient(app) as client:  # raises if an error escapes the app
        response = client.post(
            "/v1/messages", json={"messages": [message]}, headers=bearer(token) | {"x-request-id": "probe-1"}
        )
        metrics = client.get("/metrics").text

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "probe-1"
    assert response.json()["request_id"] == "probe-1"
    assert SECRET_TEXT not in response.text and "INSERT" not in response.text

    written = log.getvalue()
    lines: list[dict[str, Any]] = [json.loads(line) for line in written.splitlines()]  # every line is JSON
    errors = [line for line in lines if line["levelname"] == "ERROR"]
    assert len(errors) == 1, errors
    error = errors[0]
    assert error["request_id"] == "probe-1"
    assert error["route"] == "/v1/messages"
    assert error["error"].startswith(("sqlalchemy.exc.", "psycopg.")), error
    assert error["database_code"] in {"SQLITE_ERROR", "42P01"}, error  # no such table
    assert any("hustings/" in frame for frame in error["where"]), error
    for secret in (SECRET_TEXT, SECRET_HANDLE, "priyaraman4fenmarsh", token, "parameters", "INSERT"):
        assert secret not in written, f"{secret!r} reached the log"
    requests = [line for line in lines if line["message"] == "request" and line["request_id"] == "probe-1"]
    assert [line["status"] for line in requests] == [500]

    assert ({"method": "POST", "route": "/v1/messages", "status": "500"}, 1.0) in _samples(
        metrics, "hustings_http_requests_total"
    )
    assert [value for labels, value in _samples(metrics, "hustings_http_errors_total")] == [1.0]
    assert _samples(metrics, "hustings_http_errors_total")[0][0]["route"] == "/v1/messages"


def test_a_database_error_never_quotes_its_parameters(own_engine: Engine) -> None:
    with pytest.raises(Exception) as raised, own_engine.connect() as connection:
        connection.execute(
            text("SELECT * FROM no_such_table WHERE handle = :handle"), {"handle": SECRET_HANDLE}
        )
    assert SECRET_HANDLE not in str(raised.value)


def test_a_500_from_a_served_app_reaches_no_server_log(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", log_json=True, log_level="INFO").start()
    try:
        token = _admin_token(server.engine, server.settings)
        _break(server.engine)
        with captured("uvicorn") as uvicorn_log, captured("hustings") as log:
            message = sample_message("1", text=SECRET_TEXT, targets=[SECRET_HANDLE])
            response = httpx.post(
                f"{server.url}/v1/messages", json={"messages": [message]}, headers=bearer(token), timeout=30
            )
        assert response.status_code == 500
        request_id = response.headers["x-request-id"]
        assert uvicorn_log.getvalue() == ""  # the server saw an answer, not an exception
        errors = [json.loads(line) for line in log.getvalue().splitlines() if '"ERROR"' in line]
        assert [error["request_id"] for error in errors] == [request_id]
    finally:
        server.stop()


def test_a_500_on_a_page_is_a_page_naming_the_request_id(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path, assess_on_ingest=False, log_json=True)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    token = _admin_token(engine, settings)
    _break(engine, "targets")
    with captured("hustings") as log, TestClient(create_app(settings, engine=engine)) as client:
        response = client.get("/targets", headers=bearer(token) | {"accept": "text/html"})
    engine.dispose()
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-request-id"] in response.text
    assert response.headers["cache-control"] == "no-store"
    errors = [json.loads(line) for line in log.getvalue().splitlines() if '"ERROR"' in line]
    assert [(error["request_id"], error["route"]) for error in errors] == [
        (response.headers["x-request-id"], "/targets")
    ]


def test_a_5xx_a_handler_answers_itself_is_logged_and_counted_too(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path, assess_on_ingest=False, log_json=True)
    app = create_app(settings)

    def misconfigured() -> None:
        raise ConfigurationError(f"policy.toml: rule for {SECRET_HANDLE} is not valid")

    app.add_api_route("/probe/misconfigured", misconfigured)
    with captured("hustings") as log, TestClient(app) as client:
        response = client.get("/probe/misconfigured")
        metrics = client.get("/metrics").text
    assert response.status_code == 500
    errors = [json.loads(line) for line in log.getvalue().splitlines() if '"ERROR"' in line]
    assert [(error["request_id"], error["error"]) for error in errors] == [
        (response.headers["x-request-id"], "hustings.errors.ConfigurationError")
    ]
    assert SECRET_HANDLE not in log.getvalue()
    assert ({"route": "/probe/misconfigured", "error": "ConfigurationError"}, 1.0) in _samples(
        metrics, "hustings_http_errors_total"
    )


@pytest.mark.parametrize(
    "path", ["/complaints/track/C-1.complainant.{secret}", "/complaints/survey/{secret}", "/join/{secret}"]
)
def test_a_link_token_in_the_path_never_reaches_the_request_log(tmp_path: Path, path: str) -> None:
    # These links are bearer secrets (a case-tracking page, a survey, a team invitation): anyone
    # who can read the server log must not be able to follow one.
    secret = "s3cretLinkToken0123456789abcdef"
    settings = Settings(environment="test", data_dir=tmp_path, assess_on_ingest=False, log_json=True, log_level="INFO")
    engine = make_engine(f"sqlite:///{tmp_path / 'links.sqlite3'}")
    upgrade(engine)
    app = create_app(settings, engine=engine)
    with captured("hustings") as log, TestClient(app) as client:
        answered = client.get(path.format(secret=secret))
    engine.dispose()
    assert answered.status_code == 404  # a forged link
    requests = [json.loads(line) for line in log.getvalue().splitlines() if '"request"' in line]
    assert requests and all(secret not in line["path"] and "[secret]" in line["path"] for line in requests), requests
    assert secret not in log.getvalue()
