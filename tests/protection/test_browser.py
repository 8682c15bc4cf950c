"""The safe inbox and the shield in a real Chromium: a delegate sees hostile content masked (its
text not in the page) with counts, shows it, reports it and adds it to the evidence bundle; turns
the shield on, sees a new account's message held, and releases it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from hustings.auth.model import Role
from hustings.events import SYSTEM_ACTOR
from hustings.messages.model import message_id
from hustings.moderation.events import REPORT_FILED
from hustings.protection.events import BUNDLE
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.conftest import LiveServer, login
from tests.protection.conftest import WordDetector, message

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("protection"), assess_on_ingest=True)
    live.app.state.detector_provider = WordDetector
    live.start()
    services = seeded(live)
    target = services.targets.create(
        name="Aisha Okafor",
        role=TargetRole.COUNCILLOR,
        party="Green",
        constituency="Riverside ward",
        handles=[("x", "aisha")],
        now=services.clock.now(),
        target_id="t_aisha",
    )
    services.users.create(
        "dan", {Role.DELEGATE}, now=services.clock.now(), password=PASSWORD, target_ids=(target.id,)
    )
    services.users.create("sam", {Role.MODERATOR}, now=services.clock.now(), password=PASSWORD)
    services.ingest(
        [
            message(
                "1",
                "Thank you for saving the library",
                at=NOW - timedelta(hours=2),
                author="fan",
                handle="aisha",
            ),
            message(
                "2",
                "You are vermin and everyone knows it",
                at=NOW - timedelta(hours=1),
                author="angry",
                handle="aisha",
            ),
        ],
        actor=SYSTEM_ACTOR,
    )
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def seeded(live: LiveServer) -> Services:
    services = live.services()
    services.detector_provider = WordDetector
    services.settings = live.settings
    return services


def test_the_safe_inbox_masks_hostile_messages_and_acts_on_one(page: Any, server: LiveServer) -> None:
    login(page, server.url, "dan", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Safe inbox").click()
    expect(page.get_by_role("heading", name="Safe inbox for Aisha Okafor")).to_be_visible()
    assert "1 hostile message in your inbox is masked" in page.locator("#digest").inner_text()
    hostile = page.locator(f'[data-message-id="{message_id("x", "2")}"]')
    assert "vermin" not in page.content()
    assert hostile.locator(".mask-summary").inner_text().startswith("Flagged as abuse · ")
    kind = page.locator(f'[data-message-id="{message_id("x", "1")}"] .text')
    assert kind.inner_text() == "Thank you for saving the library"
    hostile.get_by_role("link", name="Show message from @angry").click()
    expect(hostile.locator(".text")).to_have_text("You are vermin and everyone knows it")
    hostile.get_by_text("Report", exact=True).click()
    hostile.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status").filter(has_text="Reported to the moderators.")).to_be_visible()
    page.locator(f'[data-message-id="{message_id("x", "2")}"]').get_by_role(
        "button", name="Add to evidence bundle"
    ).click()
    expect(page.get_by_role("status").filter(has_text="Added to the evidence bundle.")).to_be_visible()
    services = server.services()
    try:
        kinds = [e.kind for e in services.events.events_for("message", message_id("x", "2"))]
        bundle = services.events.status(BUNDLE, "t_aisha")
    finally:
        services.session.close()
    assert REPORT_FILED in kinds
    assert bundle is not None and [i["message_id"] for i in bundle.data["items"]] == [message_id("x", "2")]


def test_turning_the_shield_on_holds_a_new_account_for_review(
    page: Any, server: LiveServer, tmp_path: Any
) -> None:
    login(page, server.url, "dan", PASSWORD)
    page.goto(server.url + "/inbox/t_aisha")
    assert "Off" in page.locator("#shield-state").inner_text()
    page.get_by_role("button", name="Turn shield on for 7 days").click()
    expect(page.locator("#notice")).to_contain_text("Shield on until")
    assert "On" in page.locator("#shield-state").inner_text()
    services = seeded(server)
    services.ingest(
        [message("3", "hello there", at=NOW, author="brandnew", new=True, handle="aisha")], actor=SYSTEM_ACTOR
    )
    services.session.commit()
    services.session.close()
    page.reload()
    assert page.locator("#count-held").inner_text() == "1"
    page.get_by_role("link", name="Held for review").click()
    expect(page.get_by_role("heading", name="Held for review")).to_be_visible()
    held = page.locator(f'[data-message-id="{message_id("x", "3")}"]')
    assert "account less than 30 days old" in held.locator(".why").inner_text()
    page.screenshot(path=str(tmp_path / "held.png"))
    held.get_by_role("button", name="Release to inbox").click()
    expect(page.get_by_role("status").filter(has_text="Released into the inbox.")).to_be_visible()
    expect(page.locator("#count-held")).to_have_text("0")
    page.get_by_role("button", name="Turn shield off").click()
    expect(page.locator("#notice")).to_contain_text("It held 1 messages")


def test_a_moderator_sees_protected_people_but_not_the_inbox(page: Any, server: LiveServer) -> None:
    login(page, server.url, "sam", PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Safe inbox").count() == 0
    nav.get_by_role("link", name="Protected people").click()
    expect(page.get_by_role("link", name="Aisha Okafor")).to_be_visible()
    assert page.goto(server.url + "/inbox/t_aisha").status == 403
