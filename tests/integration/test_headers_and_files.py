"""Security headers on every answer, the session cookie `Secure` in production, the SQLite file
private to its owner, and request bodies refused by size before anything reads them."""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from hustings.auth.model import Role, hash_token
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker, upgrade
from hustings.web.app import create_app
from hustings.web.middleware import ANONYMOUS_BODY_BYTES, CONTENT_SECURITY_POLICY
from tests.conftest import LiveServer, MakeUser, bearer, sample_message

PASSWORD = "correct-horse-battery"


# ---------------------------------------------------------------- headers


def test_pages_carry_the_policy_and_are_not_stored(client: TestClient) -> None:
    response = client.get("/login", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_api_answers_with_text_or_tokens_are_not_stored(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, token = make_user(Role.ADMIN)
    stored = client.post("/v1/messages", json={"messages": [sample_message("1")]}, headers=bearer(token))
    message = client.get(f"/v1/messages/{stored.json()['ids'][0]}", headers=bearer(token))
    target = client.post(
        "/v1/targets", json={"name": "Priya Raman", "role": "candidate"}, headers=bearer(token)
    )
    delegate = client.post(
        f"/v1/targets/{target.json()['id']}/delegates", json={"name": "dan"}, headers=bearer(token)
    )
    assert delegate.status_code == 201, delegate.text
    assert delegate.json()["token"]
    for answer in (stored, message, delegate, client.get("/v1/messages/m_none", headers=bearer(token))):
        assert answer.headers["cache-control"] == "no-store", answer.request.url
        assert answer.headers["x-request-id"]


def test_static_files_stay_cacheable_and_the_api_explorer_keeps_its_cdn(client: TestClient) -> None:
    css = client.get("/static/app.css")
    assert css.status_code == 200
    assert "no-store" not in css.headers.get("cache-control", "")
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "content-security-policy" not in docs.headers


def test_a_request_id_from_the_caller_is_kept_only_when_it_is_a_plain_token(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"x-request-id": "lb-7f3a.2"}).headers["x-request-id"] == "lb-7f3a.2"
    )
    forged = client.get("/healthz", headers={"x-request-id": "x" * 65}).headers["x-request-id"]
    assert forged != "x" * 65 and re.fullmatch(r"[0-9a-f]{12}", forged)


# ---------------------------------------------------------------- the session cookie


def test_the_session_cookie_is_secure_by_default_in_production_only(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(48)
    assert Settings(environment="production", secret_key=key, data_dir=tmp_path).cookie_secure is True
    assert Settings(environment="production", secret_key=key, cookie_secure=False).cookie_secure is False
    assert Settings(environment="development", data_dir=tmp_path).cookie_secure is False


def _log_in(client: TestClient, name: str) -> str:
    """Submit the login form as a browser would (every hidden field it carries); return Set-Cookie."""
    form = client.get("/login", headers={"accept": "text/html"}).text
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    response = client.post(
        "/login", data=fields | {"name": name, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response.headers["set-cookie"]


@pytest.mark.parametrize(("environment", "secure"), [("production", True), ("development", False)])
def test_logging_in_sets_the_cookie_secure_in_production(
    tmp_path: Path, environment: str, secure: bool
) -> None:
    settings = Settings(
        environment=environment,  # type: ignore[arg-type]  # a Literal, given as a parameter
        secret_key=secrets.token_urlsafe(48),
        data_dir=tmp_path,
        assess_on_ingest=False,
        log_json=False,
        log_level="WARNING",
    )
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        services = Services(session=session, settings=settings)
        # A flagger: not a staff role, so no second factor stands between the form and the cookie.
        services.users.create("fran", {Role.FLAGGER}, now=services.clock.now(), password=PASSWORD)
        session.commit()
    # Over HTTPS, as in production: a browser sends a Secure cookie (the login form's nonce) back only there.
    with TestClient(create_app(settings, engine=engine), base_url="https://testserver") as client:
        cookie = _log_in(client, "fran")
    engine.dispose()
    assert cookie.startswith("hustings_session=")
    assert ("; secure" in cookie.lower()) is secure
    assert "httponly" in cookie.lower()


# ---------------------------------------------------------------- the SQLite file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_is_created_private_to_its_owner(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "data" / "hustings.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with engine.begin() as connection:  # a write, so SQLite makes its -wal and -shm files
        connection.execute(text("CREATE TABLE probe (id INTEGER)"))
        assert (database.parent / "hustings.sqlite3-wal").exists()
        assert _mode(database.parent) == 0o700
        for path in database.parent.iterdir():
            assert _mode(path) == 0o600, f"{path.name} is {oct(_mode(path))}"
    engine.dispose()


# ---------------------------------------------------------------- body limits


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("limits"), max_body_bytes=256 * 1024).start()
    yield live
    live.stop()


def _raw(server: LiveServer, request: bytes, body: bytes = b"") -> bytes:
    """Send `request` (and then `body`) over a socket; return what came back before the server closed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as connection:
        connection.sendall(request)
        if body:
            with contextlib.suppress(OSError):  # the server may answer and close while the body goes
                connection.sendall(body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_declared_oversize_body_is_413_before_a_byte_of_it_is_read(served: LiveServer) -> None:
    # Only the headers are sent: were the server to wait for the 30 MB body, recv would time out.
    answer = _raw(
        served,
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 31457280\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"for a request without a token or session" in answer
    assert re.search(rb"x-request-id: \w+", answer)


def test_an_oversize_body_from_a_token_holder_is_413_before_authentication(served: LiveServer) -> None:
    answer = _raw(
        served,
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hus_not_a_token\r\n"
        b"Content-Type: application/json\r\nContent-Length: 31457280\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]  # not 401: the token was never looked up
    assert b"limit of 262144 bytes for this request" in answer


def test_a_streamed_body_is_cut_off_at_the_limit(served: LiveServer) -> None:
    # No Content-Length: chunks just past the limit, and no last chunk. Were the server to read
    # on to the end, it would wait for the rest and recv would time out.
    services = served.services()
    now = datetime.now(UTC)
    token = services.users.issue_token(
        services.users.create("streamer", {Role.ADMIN}, now=now).id, now=now, expires_at=None
    )
    services.session.commit()
    services.session.close()
    chunk = b"x" * 16384
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(17))
    answer = _raw(
        served,
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        body,
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"limit of 262144 bytes for this request" in answer


def test_only_a_live_users_token_or_session_gets_the_larger_body_limit(served: LiveServer) -> None:
    services = served.services()
    now = datetime.now(UTC)
    sam = services.users.create("sam-limits", {Role.ADMIN}, now=now)
    live = services.users.issue_token(sam.id, now=now, expires_at=None)
    session_id, _ = services.users.open_session(sam.id, now=now, hours=1)
    gone = services.users.create("gone-limits", {Role.ADMIN}, now=now)
    disabled = services.users.issue_token(gone.id, now=now, expires_at=None)
    services.users.set_disabled(gone.id, True)
    revoked = services.users.issue_token(sam.id, now=now, expires_at=None)
    to_revoke = services.users.token_by_hash(hash_token(revoked))
    assert to_revoke is not None
    services.users.revoke_token(to_revoke.id, at=now, by="test")
    services.session.commit()
    services.session.close()

    batch = {"messages": [sample_message(f"limits-{i}", text="x" * 10_000) for i in range(10)]}  # ~100 KB

    def post(headers: dict[str, str]) -> httpx.Response:
        return httpx.post(f"{served.url}/v1/messages", json=batch, headers=headers, timeout=20)

    made_up = "hus_" + secrets.token_urlsafe(32)  # the shape of a token, in no database
    for headers in (
        bearer(made_up),
        bearer("not even a token"),
        bearer(disabled),
        bearer(revoked),
        {"cookie": f"hustings_session={secrets.token_urlsafe(32)}"},
    ):
        refused = post(headers)
        assert refused.status_code == 413, (headers, refused.text)
        assert refused.json()["detail"] == (
            f"body: {len(refused.request.content)} bytes is over the limit of {ANONYMOUS_BODY_BYTES} bytes "
            "for a request without a valid token or session"
        )
    accepted = post(bearer(live))
    assert accepted.status_code == 200 and accepted.json()["accepted"] == 10
    by_session = post({"cookie": f"hustings_session={session_id}"})
    assert by_session.status_code == 403  # past the body limit; refused for want of its CSRF token


def test_a_streamed_body_from_a_made_up_token_is_cut_off_at_the_small_limit(served: LiveServer) -> None:
    chunk = b"x" * 16384
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))  # past 64 KiB, no end
    answer = _raw(
        served,
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hus_"
        + secrets.token_urlsafe(32).encode()
        + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        body,
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"limit of %d bytes for a request without a valid token" % ANONYMOUS_BODY_BYTES in answer


def test_bodies_within_the_limits_are_answered_as_before(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.ADMIN)
    small = client.post("/login", data={"name": "nobody", "password": "x" * 1000})
    assert small.status_code != 413
    anonymous = client.post("/login", content=b"name=a&password=" + b"x" * ANONYMOUS_BODY_BYTES)
    assert anonymous.status_code == 413
    batch = {"messages": [sample_message(str(i), text="x" * 10_000) for i in range(100)]}  # about 1 MB
    assert client.post("/v1/messages", json=batch, headers=bearer(token)).json()["accepted"] == 100
