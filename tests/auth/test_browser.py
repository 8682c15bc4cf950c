"""The second factor in a real Chromium: enrol from the QR page, then log in with password and code;
a spent code is refused; a recovery code gets you in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from hustings.auth.model import Role
from tests.conftest import LiveServer, login

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("second_factor")).start()
    services = live.services()
    services.users.create("mo", {Role.MODERATOR}, now=services.clock.now(), password=PASSWORD)
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("networkidle")


def test_enrol_then_log_in_with_a_code_and_with_a_recovery_code(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    login(page, server.url, "mo", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Set up a second factor").click()
    page.get_by_role("button", name="Set up a second factor").click()
    assert page.locator("figure.qr svg").is_visible()
    page.screenshot(path=str(tmp_path / "enrol.png"))
    totp = pyotp.TOTP(page.locator("code.totp-secret").inner_text())
    spent = totp.now()
    page.get_by_label("Code the app shows now").fill(spent)
    page.get_by_role("button", name="Turn on").click()
    codes = page.locator("pre.recovery-codes").inner_text().split()
    assert len(codes) == 10
    log_out(page)

    login(page, server.url, "mo", PASSWORD)
    assert page.get_by_role("heading", name="Authentication code").is_visible()
    page.get_by_label("Code").fill(spent)
    page.get_by_role("button", name="Verify").click()
    assert "already used" in page.get_by_role("alert").inner_text()
    # The next step's code: within the drift window, and later than the step just spent.
    page.get_by_label("Code").fill(totp.at(time.time(), counter_offset=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Welcome, mo").is_visible()
    log_out(page)

    login(page, server.url, "mo", PASSWORD)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Welcome, mo").is_visible()
    page.goto(server.url + "/account/second-factor")
    assert "9 recovery code(s) left" in page.locator("main").inner_text()
