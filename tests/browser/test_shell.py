"""The web shell in a real Chromium: log in, see what your role allows, be refused the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hustings.auth.model import Role
from tests.conftest import LiveServer, login

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("shell")).start()
    services = live.services()
    services.users.create("ada", {Role.ADMIN}, now=services.clock.now(), password=PASSWORD)
    services.users.create("val", {Role.ANALYST}, now=services.clock.now(), password=PASSWORD)
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def test_login_shows_the_admin_their_navigation(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/login")
    login(page, server.url, "ada", PASSWORD)
    assert page.get_by_role("heading", name="Welcome, ada").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Users").is_visible()
    nav.get_by_role("link", name="Users").click()
    assert page.get_by_role("heading", name="Users").is_visible()


def test_a_wrong_password_says_so(page: Any, server: LiveServer) -> None:
    login(page, server.url, "ada", "wrong-password")
    assert page.get_by_role("alert").inner_text() == "That user name and password do not match."


def test_an_analyst_is_refused_the_admin_pages(page: Any, server: LiveServer) -> None:
    login(page, server.url, "val", PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Users").count() == 0
    response = page.goto(server.url + "/admin/users")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()


def test_the_admin_adds_a_user_and_sees_the_token_once(page: Any, server: LiveServer, tmp_path: Path) -> None:
    login(page, server.url, "ada", PASSWORD)
    page.goto(server.url + "/admin/users")
    page.get_by_label("User name").fill("<b>mallory</b>")
    page.get_by_label("flagger").check()
    page.get_by_role("button", name="Add user").click()
    status = page.get_by_role("status")
    assert "User <b>mallory</b> created" in status.inner_text()  # escaped, shown as text
    assert status.locator("pre.token").inner_text().startswith("hus_")
    page.screenshot(path=str(tmp_path / "users.png"))


def test_logging_out_ends_the_session(page: Any, server: LiveServer) -> None:
    login(page, server.url, "ada", PASSWORD)
    page.get_by_role("button", name="Log out").click()
    page.goto(server.url + "/admin/users")
    assert page.url.startswith(server.url + "/login")
