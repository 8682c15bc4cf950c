"""Logging in, tried as an attacker would, on SQLite and on PostgreSQL: the form's CSRF token,
back-off with 429 and Retry-After that holds across requests and restarts, a real user's
browser not locked out by others, unknown names answered like real ones, and every failed login
in the access log without its password."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.services import Services
from hustings.settings import Settings
from hustings.web.app import create_app
from hustings.web.deps import get_session
from tests.conftest import MakeUser

PASSWORD = "correct-horse-battery"
on_sqlite = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
ADA_HOME = "203.0.113.5"


@pytest.fixture
def ada(make_user: MakeUser) -> str:
    user, _ = make_user(Role.MODERATOR, password=PASSWORD, name="ada")
    return user.id


@pytest.fixture
def browser_at(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """A browser (its own cookies) at a given address."""
    opened: list[TestClient] = []

    def at(address: str) -> TestClient:
        client = TestClient(app, client=(address, 40000), follow_redirects=False)
        opened.append(client.__enter__())
        return client

    yield at
    for client in opened:
        client.__exit__(None, None, None)


def token_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found[1]


def log_in(client: TestClient, name: str, password: str) -> httpx.Response:
    token = token_of(client.get("/login"))
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def answers(client: TestClient, name: str, password: str, times: int) -> list[tuple[int, str | None]]:
    replies = [log_in(client, name, password) for _ in range(times)]
    return [(reply.status_code, reply.headers.get("retry-after")) for reply in replies]


def test_the_login_form_needs_its_own_csrf_token(browser_at: Callable[[str], TestClient], ada: str) -> None:
    browser, other = browser_at(ADA_HOME), browser_at("198.51.100.1")
    page = browser.get("/login")
    assert "hustings_login" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    form = {"name": "ada", "password": PASSWORD}
    assert browser.post("/login", data=form).status_code == 403  # no token
    assert browser.post("/login", data=form | {"csrf_token": "forged"}).status_code == 403
    theirs = token_of(other.get("/login"))  # a token made for another browser's cookie
    refused = browser.post("/login", data=form | {"csrf_token": theirs})
    assert refused.status_code == 403
    assert "csrf_token: missing or wrong; reload the page and try again" in refused.text
    assert "hustings_session" not in refused.headers.get("set-cookie", "")
    assert browser.post("/login", data=form | {"csrf_token": token_of(page)}).status_code == 303


def test_fifty_wrong_passwords_then_the_right_one_is_refused_until_the_block_lifts(
    browser_at: Callable[[str], TestClient], ada: str, clock: FixedClock
) -> None:
    attacker = browser_at(ADA_HOME)
    got = answers(attacker, "ada", "wrong-password", 50)
    assert got[:6] == [(401, None)] * 6  # five free failures, and the sixth checked
    assert got[6:] == [(429, "1")] * 44  # then one second, however often it is asked
    right = log_in(attacker, "ada", PASSWORD)
    assert right.status_code == 429 and "Wait 1 seconds" in right.text
    clock.advance(seconds=1)
    assert log_in(attacker, "ada", PASSWORD).status_code == 303


@on_sqlite  # the rules are the database's either way; this one takes many checked logins
def test_retry_after_doubles_then_stops_at_fifteen_minutes(
    browser_at: Callable[[str], TestClient], ada: str, clock: FixedClock
) -> None:
    attacker = browser_at("192.0.2.77")
    answers(attacker, "ada", "wrong-password", 6)
    waits = []
    for _ in range(12):
        refused = log_in(attacker, "ada", "wrong-password")
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(seconds=waits[-1])
        assert log_in(attacker, "ada", "wrong-password").status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_unknown_names_get_the_same_answers_and_the_same_work_as_real_ones(
    browser_at: Callable[[str], TestClient], ada: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scrypt = hashlib.scrypt
    calls: list[str] = []

    def counted(password: bytes, **options: Any) -> bytes:
        calls.append("scrypt")
        return scrypt(password, **options)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    real = answers(browser_at("192.0.2.10"), "ada", "wrong-password", 9)
    real_hashes, calls[:] = len(calls), []
    unknown = answers(browser_at("192.0.2.11"), "nobody-called-this", "wrong-password", 9)
    assert real == unknown
    assert len(calls) == real_hashes == 6  # one scrypt for each login that was checked
    texts = [
        log_in(browser_at(address), name, "wrong-password").text.replace(name, "NAME")
        for address, name in (("192.0.2.12", "ada"), ("192.0.2.13", "nobody-called-this"))
    ]
    tokens = r"[0-9a-f]{32}"  # each page's own CSRF token
    assert re.sub(tokens, "", texts[0]) == re.sub(tokens, "", texts[1])


def test_every_failed_login_is_in_the_access_log_without_the_password(
    browser_at: Callable[[str], TestClient],
    ada: str,
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    attacker = browser_at("192.0.2.99")
    secret_guess = "Guess-1234-Secret"
    answers(attacker, "ada", secret_guess, 7)  # six wrong, one backed off
    log_in(attacker, "nobody-called-this", secret_guess)
    attacker.post("/login", data={"name": "ada", "password": secret_guess})  # no CSRF token
    rows = [row for row in services.users.access_log() if row.action == "login_failed"]
    reasons = [(row.user_id, row.resource) for row in reversed(rows)]
    assert reasons[:6] == [(ada, "/login from 192.0.2.99: wrong name or password")] * 6
    assert reasons[6] == (ada, "/login from 192.0.2.99: backed off, 1 s to wait")
    assert reasons[7][0].startswith("unknown:") and "nobody" not in reasons[7][0]
    assert reasons[8] == (ada, "/login from 192.0.2.99: csrf_token missing or wrong")
    assert len(rows) == 9
    assert not any(secret_guess in row.resource for row in rows)
    assert secret_guess not in caplog.text


def test_the_back_off_outlives_the_process(
    engine: Engine, session: Session, settings: Settings, clock: FixedClock, ada: str
) -> None:
    def fresh_process() -> TestClient:
        application = create_app(settings, engine=engine, clock=clock)

        def the_tests_session() -> Iterator[Session]:
            yield session

        application.dependency_overrides[get_session] = the_tests_session
        return TestClient(application, client=("192.0.2.50", 40000), follow_redirects=False)

    with fresh_process() as first:
        assert answers(first, "ada", "wrong-password", 6) == [(401, None)] * 6
    with fresh_process() as restarted:
        assert log_in(restarted, "ada", PASSWORD).status_code == 429


def test_attackers_everywhere_do_not_lock_out_a_browser_that_logged_in_before(
    browser_at: Callable[[str], TestClient], ada: str
) -> None:
    her_laptop = browser_at(ADA_HOME)
    first = log_in(her_laptop, "ada", PASSWORD)
    assert first.status_code == 303 and "hustings_device" in first.headers["set-cookie"]
    # Someone at her own address, then others elsewhere: her name is now blocked everywhere.
    assert answers(browser_at(ADA_HOME), "ada", "wrong-password", 7)[-1] == (429, "1")
    for n in range(5):
        assert log_in(browser_at(f"198.51.100.{n}"), "ada", "wrong-password").status_code == 401
    assert log_in(browser_at("192.0.2.200"), "ada", PASSWORD).status_code == 429  # a new browser waits
    assert log_in(her_laptop, "ada", PASSWORD).status_code == 303  # hers does not


@on_sqlite
def test_one_address_trying_many_names_is_backed_off(
    browser_at: Callable[[str], TestClient], ada: str
) -> None:
    sprayer = browser_at("192.0.2.66")
    for n in range(31):
        assert log_in(sprayer, f"user{n}", "Summer2026!").status_code == 401
    assert log_in(sprayer, "ada", PASSWORD).status_code == 429
    assert log_in(browser_at(ADA_HOME), "ada", PASSWORD).status_code == 303
