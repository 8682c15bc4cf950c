"""A police liaison in Chromium: opens a referral, sees the urgent banner, builds and downloads a pack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hustings.auth.model import Role
from hustings.referrals.pack import verify_pack
from tests.conftest import LiveServer, login
from tests.referrals.conftest import Seeded, seed

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seeded]]:
    live = LiveServer(tmp_path_factory.mktemp("referrals")).start()
    services = live.services()
    seeded = seed(services)
    services.users.create("pc", {Role.POLICE_LIAISON}, now=services.clock.now(), password=PASSWORD)
    services.users.create("val", {Role.ANALYST}, now=services.clock.now(), password=PASSWORD)
    services.session.commit()
    services.session.close()
    yield live, seeded
    live.stop()


def test_a_liaison_opens_a_referral_and_downloads_a_verifiable_pack(
    page: Any, server: tuple[LiveServer, Seeded], tmp_path: Path
) -> None:
    live, seeded = server
    login(page, live.url, "pc", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").click()
    page.get_by_text("Or name what to refer by its reference").click()
    page.get_by_label("Message references").fill(f"{seeded.threat} {seeded.abuse}")
    page.get_by_label("Police force").fill("Fenshire Police")
    page.get_by_role("button", name="Open referral").click()
    alert = page.get_by_role("alert")
    assert "Call 999 if there is an immediate risk" in alert.inner_text()
    assert page.locator("blockquote", has_text="outside your house tonight").is_visible()
    page.get_by_role("button", name="Build evidence pack").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download p_").click()
    saved = tmp_path / "pack.zip"
    download_info.value.save_as(saved)
    assert verify_pack(saved.read_bytes()).ok
    page.get_by_label("Police status").select_option("crime_recorded")
    page.get_by_label("Crime or incident reference").fill("FN-2026-0507")
    page.get_by_role("button", name="Record update").click()
    assert page.get_by_text("FN-2026-0507").first.is_visible()
    custody = page.get_by_role("table").last.inner_text()
    assert "pack built" in custody and "exported" in custody and "status updated" in custody


def test_an_analyst_is_refused_referrals(page: Any, server: tuple[LiveServer, Seeded]) -> None:
    live, _ = server
    login(page, live.url, "val", PASSWORD)
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").count() == 0
    response = page.goto(live.url + "/referrals")
    assert response.status == 403
