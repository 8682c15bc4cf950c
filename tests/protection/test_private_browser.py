"""The private-details register in a real Chromium: a target registers their child's school; a
message naming it is ingested; the moderator sees it as sent on the console, the delegate's safe
inbox shows it redacted with the home-safety guidance beside it and an alert; a target sees the
threat guidance beside a threat."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from hustings.auth.model import Role
from hustings.detect.assessment import Assessment, Label
from hustings.events import SYSTEM_ACTOR
from hustings.messages.model import message_id
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.conftest import LiveServer, login
from tests.protection.conftest import WordDetector, message

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
NOW = datetime.now(UTC).replace(microsecond=0)
NAMED = "Her kids go to Kelbridge Acad emy, see you at the gates"


class ThreatDetector(WordDetector):
    """`WordDetector`, and `threat` for a text that says "kill"."""

    def assess(self, texts: Sequence[str]) -> list[Assessment]:
        out = []
        for text, assessment in zip(texts, super().assess(texts), strict=True):
            if "kill" in text.lower():
                labels = {**assessment.labels, Label.THREAT: 0.97}
                assessment = Assessment(labels, (Label.THREAT,), None, (), self.model, 0.9)
            out.append(assessment)
        return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("private"), assess_on_ingest=True)
    live.app.state.detector_provider = ThreatDetector
    live.start()
    services = seeded(live)
    now = services.clock.now()
    target = services.targets.create(
        name="Priya Raman",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "priya")],
        now=now,
        target_id="t_priya",
    )
    services.users.create("priya", {Role.TARGET}, now=now, password=PASSWORD, target_ids=(target.id,))
    services.users.create("dan", {Role.DELEGATE}, now=now, password=PASSWORD, target_ids=(target.id,))
    services.users.create("sam", {Role.MODERATOR}, now=now, password=PASSWORD)
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def seeded(live: LiveServer) -> Services:
    services = live.services()
    services.detector_provider = ThreatDetector
    return services


def ingest(server: LiveServer, external_id: str, text: str) -> str:
    services = seeded(server)
    try:
        services.ingest(
            [message(external_id, text, at=NOW - timedelta(minutes=5), author="a" + external_id)],
            actor=SYSTEM_ACTOR,
        )
        services.session.commit()
    finally:
        services.session.close()
    return message_id("x", external_id)


def test_a_named_school_is_redacted_for_the_delegate_but_not_the_moderator(
    page: Any, server: LiveServer
) -> None:
    login(page, server.url, "priya", PASSWORD)
    page.goto(server.url + "/inbox/t_priya")
    page.get_by_role("link", name="Private details register").click()
    page.get_by_label("Kind", exact=True).select_option(label="Child's school")
    page.get_by_label("Detail", exact=True).fill("Kelbridge Academy")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#notice")).to_contain_text("Child's school added to the register.")
    register = page.locator("#register")
    expect(register).not_to_contain_text("Kelbridge Academy")  # masked until revealed
    register.get_by_role("link", name="reveal").click()
    expect(page.locator("#register .revealed")).to_have_text("Kelbridge Academy")

    named = ingest(server, "d1", NAMED)

    page.context.clear_cookies()
    login(page, server.url, "sam", PASSWORD)
    page.goto(server.url + f"/console/items/{named}")
    expect(page.locator("body")).to_contain_text("Kelbridge Acad emy")

    page.context.clear_cookies()
    login(page, server.url, "dan", PASSWORD)
    page.goto(server.url + "/inbox/t_priya")
    expect(page.locator("#private-alerts")).to_contain_text("school")
    item = page.locator(f'[data-message-id="{named}"]')
    expect(item.locator(".text")).to_have_text("Her kids go to [school removed], see you at the gates")
    expect(page.locator("body")).not_to_contain_text("Kelbridge")
    expect(
        item.locator(".guidance-box").get_by_role("link", name="Keeping your home address private")
    ).to_be_visible()


def test_a_target_sees_the_threat_guidance_beside_a_threat(page: Any, server: LiveServer) -> None:
    threat = ingest(server, "t1", "I will kill you if you show up")
    calm = ingest(server, "c1", "Thanks for the leaflet")
    login(page, server.url, "priya", PASSWORD)
    page.goto(server.url + "/inbox/t_priya")
    beside = page.locator(f'[data-message-id="{threat}"] .guidance-box')
    expect(beside.get_by_role("link", name="What to do about a threat")).to_be_visible()
    expect(page.locator(f'[data-message-id="{calm}"] .guidance-box')).to_have_count(0)
