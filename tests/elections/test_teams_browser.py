"""The pop-up team in a real Chromium: an admin creates an election and invites a member; the
member accepts the one-time link, sets a password, signs in and flags a message by its post's
address; the moderator sees it in the priority lane with its due time; once the app's clock passes
the end of the period, the member's access is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hustings.auth.model import Role
from hustings.clock import FixedClock
from tests.browser.test_accessibility import AXE, blocking_violations
from tests.conftest import LiveServer, login, sample_message
from tests.elections.conftest import IN_PERIOD, KELBRIDGE

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
MEMBER_PASSWORD = "lantern orchard gravel seventeen"
POST = "https://x.com/someone/status/1700"
CLOCK = FixedClock(IN_PERIOD)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("teams"), clock=CLOCK).start()
    services = live.services()
    services.clock = CLOCK
    now = CLOCK.now()
    services.users.create("ada", {Role.ADMIN}, now=now, password=PASSWORD)
    services.users.create("sam", {Role.MODERATOR}, now=now, password=PASSWORD)
    services.ingest([sample_message("1700", url=POST, text="We will hurt you at the count.")], actor="system")
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def tab(browser: Any) -> Any:
    """A tab with axe-core in every page it loads, as the accessibility tests have it."""
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_a_member_joins_flags_and_loses_access_with_the_period(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    ada = tab(browser)
    login(ada, server.url, "ada", PASSWORD)
    ada.goto(f"{server.url}/elections")
    ada.get_by_label("Democracy Club id").fill(KELBRIDGE)
    ada.get_by_label("Name", exact=True).fill("Kelbridge local election")
    ada.get_by_label("Notice of election").fill("2028-03-27")
    ada.get_by_label("Close of nominations").fill("2028-04-04")
    ada.get_by_label("The count", exact=True).fill("2028-05-05")
    ada.get_by_role("button", name="Create election").click()
    ada.get_by_role("link", name="The pop-up trusted-flagger team").click()
    ada.get_by_label("E-mail (their user name here)").fill("asha@kelbridge-labour.org.uk")
    ada.get_by_label("Name", exact=True).fill("Asha Patel")
    ada.get_by_label("Organisation").fill("Kelbridge Labour")
    ada.get_by_label("Role in the team").select_option("party_safety_lead")
    ada.get_by_role("button", name="Invite").click()
    expect(ada.get_by_role("status")).to_contain_text("Asha Patel invited.")
    link = ada.locator("#invitation-link").inner_text()
    assert blocking_violations(ada) == []
    expect(ada.get_by_role("table", name="Members and invitations")).to_contain_text("invited")

    asha = tab(browser)
    asha.goto(link)
    expect(asha.get_by_role("heading", name="Join the pop-up team for Kelbridge local election")).to_be_visible()
    assert blocking_violations(asha) == []
    asha.get_by_label("Choose a password", exact=False).fill(MEMBER_PASSWORD)
    asha.get_by_label("The password again").fill(MEMBER_PASSWORD)
    asha.get_by_role("button", name="Join the team").click()
    expect(asha.get_by_role("status")).to_contain_text("You have joined")
    asha.goto(link)
    expect(asha.get_by_role("alert")).to_contain_text("not valid")  # the link worked once

    login(asha, server.url, "asha@kelbridge-labour.org.uk", MEMBER_PASSWORD)
    asha.get_by_role("navigation", name="Main").get_by_role("link", name="Flag a message").click()
    asha.get_by_label("Paste the post's address (or a message id)").fill("https://x.com/someone/status/999")
    asha.get_by_role("button", name="Flag").click()
    expect(asha.get_by_role("status")).to_contain_text("does not hold the post")  # kept until it is ingested
    assert blocking_violations(asha) == []
    asha.get_by_label("Paste the post's address (or a message id)").fill(POST)
    asha.get_by_label("What is wrong with it?").select_option("threat")
    asha.get_by_role("button", name="Flag").click()
    expect(asha.get_by_role("heading", name="My reports")).to_be_visible()

    sam = tab(browser)
    login(sam, server.url, "sam", PASSWORD)
    sam.goto(f"{server.url}/console")
    sam.get_by_role("link", name="Priority lane (trusted flaggers)").click()
    expect(sam.locator(".lane")).to_contain_text("due 20 Apr 2028 13:00 UTC, 1 h 0 min left")
    assert blocking_violations(sam) == []
    sam.locator("tbody tr").first.locator("a").first.click()
    expect(sam.locator("#lane-due")).to_contain_text("due 20 Apr 2028 13:00 UTC")

    ada.reload()
    expect(ada.locator("#lane-items")).to_have_text("1")
    expect(ada.get_by_role("table", name="Members and invitations")).to_contain_text("active")

    period_end = CLOCK.at
    try:
        CLOCK.at = IN_PERIOD.replace(month=5, day=20)  # past the period's end (19 May, 23:00 UTC)
        login(asha, server.url, "asha@kelbridge-labour.org.uk", MEMBER_PASSWORD)  # her session lapsed too
        refused = asha.goto(f"{server.url}/flag")
        assert refused is not None and refused.status == 403
        expect(asha.get_by_text("access as a member of the team")).to_be_visible()
    finally:
        CLOCK.at = period_end
