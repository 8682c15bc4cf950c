"""A platform referral in a real Chromium: a moderator refers a message from its item page to X,
records X's acknowledgement and removal, and the election dashboard and the transparency report
show the measured response."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from hustings.auth.model import Role
from hustings.clock import FixedClock
from tests.conftest import LiveServer, login, sample_message
from tests.elections.conftest import FIRST, IN_PERIOD, KELBRIDGE, KELBRIDGE_DATES

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class World:
    server: LiveServer
    clock: FixedClock
    message_id: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    clock = FixedClock(IN_PERIOD)
    live = LiveServer(tmp_path_factory.mktemp("platforms"), clock=clock).start()
    services = live.services()
    services.clock = clock  # the events set up here happen in the election's period too
    now = clock.now()
    moderator = services.users.create("mo", {Role.MODERATOR}, now=now, password=PASSWORD)
    services.elections.create(KELBRIDGE, "Kelbridge local election", KELBRIDGE_DATES, actor="user:setup")
    services.elections.import_candidates(FIRST, actor="user:setup", election_id=KELBRIDGE)
    message = sample_message("b1", targets=["@cllraishaokafor"], created_at=now.isoformat())
    message_id = services.ingest([message], actor="system").ids[0]
    services.moderation.file_report(message_id=message_id, reporter=moderator, category="threat")
    services.session.commit()
    services.session.close()
    yield World(live, clock, message_id)
    live.stop()


def test_a_moderator_refers_a_message_and_the_response_is_measured(page: Any, world: World) -> None:
    base = world.server.url
    login(page, base, "mo", PASSWORD)
    page.goto(f"{base}/console/items/{world.message_id}")
    refer = page.locator("#refer-form")
    expect(refer.get_by_label("Platform", exact=True)).to_have_value("X")
    expect(refer.get_by_label("Messages (ids, one a line)")).to_have_value(world.message_id)
    refer.get_by_label("Sent through").select_option("trusted_flagger_portal")
    refer.get_by_label("The platform's reference").fill("TF-100")
    refer.get_by_label("Election").select_option(KELBRIDGE)
    refer.get_by_role("button", name="Refer to platform").click()
    expect(page.get_by_role("status")).to_contain_text("Referred to X.")
    expect(page.get_by_role("heading", name="Referral to X")).to_be_visible()

    world.clock.advance(hours=2)
    answer = page.locator("#answer-form")
    answer.get_by_label("Answer", exact=True).select_option("acknowledged")
    answer.get_by_role("button", name="Record answer").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded: acknowledged.")
    expect(page.locator("#referral-state")).to_have_text("acknowledged")

    world.clock.advance(hours=4)
    answer = page.locator("#answer-form")
    answer.get_by_label("Answer", exact=True).select_option("actioned")
    answer.get_by_label("What the platform did (if actioned)").select_option("removed")
    answer.get_by_role("button", name="Record answer").click()
    expect(page.locator("#referral-state")).to_have_text("actioned: removed")
    expect(page.get_by_role("table", name="Answers, oldest first").get_by_role("row")).to_have_count(3)

    world.clock.advance(days=2)
    login(page, base, "mo", PASSWORD)  # two days on, the session has lapsed
    page.goto(f"{base}/elections/{KELBRIDGE}/dashboard")
    response = page.locator("#platform-response")
    x_row = response.locator("tr", has=page.get_by_role("rowheader", name="X", exact=True))
    expect(x_row.locator('[data-figure="referrals_sent"]')).to_have_text("1")
    expect(x_row.locator('[data-figure="actioned_share"]')).to_have_text("100.0%")
    expect(x_row.locator('[data-figure="median_hours_to_action"]')).to_have_text("6.0 h")
    expect(x_row.locator('[data-figure="no_answer_after_24h_share"]')).to_have_text("0.0%")
    expect(page.locator('[data-figure="reports"]')).to_have_text("1")

    page.goto(f"{base}/transparency/2028-Q2")
    section = page.locator("#platform-response")
    expect(section.get_by_role("heading", name="Platform response")).to_be_visible()
    by_platform = section.get_by_role("table", name="Referrals sent in the period, by platform")
    x_row = by_platform.locator("tr", has=page.get_by_role("rowheader", name="X", exact=True))
    expect(x_row.locator('[data-figure="actioned_share"]')).to_have_text("100.0%")
    expect(x_row.locator('[data-figure="median_hours_to_action"]')).to_have_text("6.0 h")
