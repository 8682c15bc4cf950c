"""Elections in a real Chromium: an admin creates an election, uploads Democracy Club's register
with one bad row, and sees the row named and the candidates stored; a target opens the guidance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hustings.auth.model import Role
from hustings.targets.model import TargetRole
from tests.conftest import LiveServer, login
from tests.elections.conftest import FIRST, KELBRIDGE, RIVERSIDE, row, with_row

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("elections")).start()
    services = live.services()
    now = services.clock.now()
    services.users.create("ada", {Role.ADMIN}, now=now, password=PASSWORD)
    target = services.targets.create(
        name="Priya Raman", role=TargetRole.CANDIDATE, party=None, constituency=None, handles=[], now=now
    )
    services.users.create("priya", {Role.TARGET}, now=now, password=PASSWORD, target_ids=(target.id,))
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def test_an_admin_creates_an_election_and_uploads_its_register(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    login(page, server.url, "ada", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Elections").click()
    expect(page.get_by_role("heading", name="Elections", exact=True)).to_be_visible()
    page.get_by_label("Democracy Club id").fill(KELBRIDGE)
    page.get_by_label("Name", exact=True).fill("Kelbridge local election")
    page.get_by_label("Notice of election").fill("2028-03-27")
    page.get_by_label("Close of nominations").fill("2028-04-04")
    page.get_by_label("The count", exact=True).fill("2028-05-05")
    page.get_by_role("button", name="Create election").click()
    expect(page.get_by_role("status")).to_contain_text("Kelbridge local election created.")
    expect(page.get_by_text("No ballots yet")).to_be_visible()

    bad = row(
        FIRST,
        person_id="80001",
        person_name="Nadia Bell",
        election_id=KELBRIDGE,
        ballot_paper_id=RIVERSIDE,
        party_name="Green Party",
        post_label="Riverside",
        twitter_username="nadia bell",
    )
    register = tmp_path / "candidates-local.kelbridge.2028-05-04.csv"
    register.write_text(with_row(FIRST, bad), encoding="utf-8")
    page.get_by_role("link", name="Upload the candidate register").click()
    page.get_by_label("Candidates CSV", exact=True).set_input_files(str(register))
    page.get_by_role("button", name="Import candidates").click()

    summary = page.get_by_role("status")
    expect(summary).to_contain_text("Created11")
    expect(summary).to_contain_text("Rejected1")
    left_out = page.get_by_role("table", name="Rows left out, by line")
    expect(left_out.get_by_role("row")).to_have_count(2)
    expect(left_out).to_contain_text("13")
    expect(left_out).to_contain_text("twitter_username")
    expect(left_out).to_contain_text("'nadia bell' is not an X handle")
    riverside = page.get_by_role("table", name="Candidates for Riverside")
    expect(riverside.get_by_role("row")).to_have_count(5)  # the header and four candidates, not Nadia
    expect(riverside).to_contain_text("Daniel Marsh")
    expect(riverside).to_contain_text("mastodon @danmarsh@mastodon.scot")
    expect(riverside).not_to_contain_text("Nadia Bell")
    page.screenshot(path=str(tmp_path / "import.png"), full_page=True)

    page.get_by_role("link", name="Back to Kelbridge local election").click()
    expect(page.get_by_role("table", name="Candidates for Castle")).to_contain_text("Tom Ellery")


def test_a_target_opens_the_guidance_from_the_menu(page: Any, server: LiveServer) -> None:
    login(page, server.url, "priya", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Guidance").click()
    page.get_by_role("link", name="What to do about a threat").click()
    expect(page.get_by_role("heading", name="What to do about a threat", level=1)).to_be_visible()
    expect(page.get_by_text("call 999", exact=False).first).to_be_visible()
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    expect(
        page.get_by_role("link", name="Online Safety Act 2023, section 181 (threatening communications)")
    ).to_be_visible()
    expect(page.locator("article")).to_contain_text("not legal advice")
    expect(page.locator("article")).to_contain_text("Checked against these sources on 1 Dec 2026")
    page.get_by_role("link", name="Reporting to the police").click()
    expect(
        page.get_by_role("heading", name="Reporting to the police and keeping the evidence")
    ).to_be_visible()
