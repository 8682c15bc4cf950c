"""Complaints in a real Chromium: a member of the public files a complaint and gets a reference;
a complaints officer acknowledges and assesses it; an investigator with a declared conflict
cannot be assigned; a senior officer not on the case must give a reason to open it, and appears
in the oversight report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from hustings.auth.model import Role
from hustings.complaints.model import Viewer
from tests.browser.test_accessibility import AXE, blocking_violations
from tests.conftest import LiveServer, login

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
PARTY = "example-party"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("complaints")).start()
    services = live.services()
    now = services.clock.now()
    admin = Viewer("setup", frozenset({Role.ADMIN}), None)
    for name, role in [
        ("olive", Role.COMPLAINTS_OFFICER),
        ("ivan", Role.INVESTIGATOR),
        ("sam", Role.COMPLAINTS_OFFICER),
        ("vera", Role.OVERSIGHT),
    ]:
        user = services.users.create(name, {role}, now=now, password=PASSWORD)
        services.complaints.enrol(user.id, PARTY, by=admin)
        if name == "ivan":
            ivan = services.complaints.viewer(user.id, {role})
            services.complaints.declare_conflict(ivan, member="M1001", note="we share a branch committee")
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def tab(browser: Any) -> Any:
    """A tab with axe-core in every page it loads, as the accessibility tests have."""
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    return opened


def as_user(browser: Any, server: LiveServer, name: str) -> Any:
    opened = tab(browser)
    login(opened, server.url, name, PASSWORD)
    return opened


def accessible(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    assert blocking_violations(page) == []


def test_a_complaint_from_the_public_to_the_oversight_report(browser: Any, server: LiveServer) -> None:
    page = tab(browser)
    page.goto(f"{server.url}/complaints/new")
    accessible(page)
    page.get_by_label("Which party is the complaint about?").select_option(PARTY)
    page.get_by_label("What kind of conduct?").select_option("harassment")
    page.get_by_label("What happened?").fill("He replies to every post of mine with abuse.")
    page.get_by_label("Links to the posts or messages (one a line)").fill("https://social.example/p/1")
    page.get_by_label("The member's membership number, if you know it").fill("M1001")
    page.get_by_label("Your name").fill("Ann Example")
    page.get_by_label("Your e-mail").fill("ann@example.org")
    page.get_by_role("button", name="Send the complaint").click()
    expect(page.get_by_role("heading", name="We have received your complaint")).to_be_visible()
    accessible(page)
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"C-[0-9A-F]{8}", reference)

    olive = as_user(browser, server, "olive")
    olive.get_by_role("navigation", name="Main").get_by_role("link", name="Complaints").click()
    accessible(olive)
    olive.get_by_role("link", name=reference).click()
    olive.get_by_role("button", name="Acknowledge").click()
    expect(olive.get_by_role("status")).to_contain_text("Done: acknowledge.")
    olive.get_by_label("Assessment").select_option("investigation")
    olive.get_by_label("Reasons").fill("A pattern of abusive replies over weeks.")
    olive.get_by_label("Evidence relied on").fill("The linked post and its replies.")
    olive.get_by_role("button", name="Assess").click()
    expect(olive.get_by_role("heading", name=re.compile(f"Case {reference}"))).to_contain_text(
        "investigation"
    )

    olive.get_by_label("Handler").first.select_option(label="ivan")
    olive.get_by_label("As", exact=True).select_option("investigator")
    olive.get_by_role("button", name="Assign").click()
    expect(olive.get_by_role("alert")).to_contain_text(
        "declared a conflict of interest here (we share a branch committee)"
    )

    sam = as_user(browser, server, "sam")
    sam.goto(f"{server.url}/complaints/cases/{reference}")
    expect(sam.get_by_role("heading", name=f"You are not on the team of case {reference}")).to_be_visible()
    accessible(sam)
    sam.get_by_label("Why do you need to open this case?").fill("The party leader asked me for an update.")
    sam.get_by_role("button", name="Open the case and record my reason").click()
    expect(sam.get_by_role("heading", name=re.compile(f"Case {reference}"))).to_be_visible()

    vera = as_user(browser, server, "vera")
    vera.get_by_role("navigation", name="Main").get_by_role("link", name="Oversight").click()
    row = vera.get_by_role("row").filter(has_text="The party leader asked me for an update.")
    expect(row).to_contain_text(reference)
    accessible(vera)
