"""The login page in a real Chromium: its CSRF token, the back-off a person sees after too many
wrong passwords, and the password policy's error on the admin page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hustings.auth.model import Role
from hustings.clock import FixedClock
from tests.conftest import T0, LiveServer, login

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
CLOCK = FixedClock(T0)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("login"), clock=CLOCK).start()
    services = live.services()
    for name, role in (("ada", Role.ADMIN), ("mo", Role.MODERATOR), ("tess", Role.TRIAGE)):
        services.users.create(name, {role}, now=T0, password=PASSWORD)
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def submit(page: Any, name: str, password: str) -> Any:
    """Fill and send the login form; return the response to the POST."""
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as posted:
        page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return posted.value


def test_the_form_carries_a_csrf_token_and_a_tampered_one_is_refused(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/login")
    token = page.locator('input[name="csrf_token"]')
    assert len(token.get_attribute("value")) == 32
    token.evaluate("field => { field.value = 'forged-by-another-site' }")
    refused = submit(page, "mo", PASSWORD)
    assert refused.status == 403
    assert (
        page.get_by_role("alert").inner_text()
        == "csrf_token: missing or wrong; reload the page and try again"
    )
    assert submit(page, "mo", PASSWORD).status == 303  # the refusal's page carries a good token
    assert page.get_by_role("heading", name="Welcome, mo").is_visible()


def test_too_many_wrong_passwords_ask_the_person_to_wait(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/login")
    for _ in range(6):
        assert submit(page, "tess", "not-her-password").status == 401
        assert page.get_by_role("alert").inner_text() == "That user name and password do not match."
    refused = submit(page, "tess", PASSWORD)  # even the right password, while the block lasts
    assert refused.status == 429 and refused.headers["retry-after"] == "1"
    assert page.get_by_role("alert").inner_text() == "Too many failed logins. Wait 1 seconds, then try again."
    assert page.get_by_label("User name").input_value() == "tess"
    CLOCK.advance(seconds=1)
    assert submit(page, "tess", PASSWORD).status == 303
    assert page.get_by_role("heading", name="Welcome, tess").is_visible()


def test_the_admin_page_names_the_password_that_breaks_the_policy(page: Any, server: LiveServer) -> None:
    login(page, server.url, "ada", PASSWORD)
    page.goto(server.url + "/admin/users")
    page.get_by_label("User name").fill("sam")
    page.get_by_label("moderator").check()
    page.get_by_label("Password").fill("password1234")
    page.get_by_role("button", name="Add user").click()
    page.wait_for_load_state()
    assert (
        "password: too easy to guess (This is a very common password)"
        in page.get_by_role("alert").inner_text()
    )
