"""Journeys in a real Chromium on the demo, as the admin, a moderator and a flagger would take them:
administering accounts, reading a sender and acting on it, notes, notifications, flagging a post
by its address, and the pages that must keep the menu and speak in words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from hustings.demo import load_demo
from hustings.web.templating import sender_path
from tests.conftest import LiveServer, login

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
PILE_ON_SENDER = "x:demo-pileon-author-7"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Assessed, as `hustings demo` does: the detector's reports open the pile-on that notifies.
    live = LiveServer(tmp_path_factory.mktemp("journeys"), assess_on_ingest=True).start()
    services = live.services()
    load_demo(services, password=PASSWORD)
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_the_admin_disables_changes_roles_and_revokes_with_each_step_confirmed(
    tab: Any, demo: LiveServer
) -> None:
    login(tab, demo.url, "admin", PASSWORD)
    tab.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    tab.get_by_role("link", name="analyst", exact=True).click()
    assert tab.get_by_role("heading", name="analyst").is_visible()

    tab.get_by_label("Why (kept in the event log)").first.fill("left the project")
    tab.get_by_role("button", name="Disable analyst").click()  # the tick box is not ticked yet
    assert tab.get_by_role("heading", name="analyst").is_visible()  # the browser held the form back
    assert "disabled" not in tab.locator("dl.figures").inner_text()
    tab.get_by_label("Yes, disable analyst now").check()
    tab.get_by_role("button", name="Disable analyst").click()
    tab.wait_for_load_state("networkidle")
    assert tab.get_by_role("status").filter(has_text="analyst is disabled").is_visible()
    history = tab.get_by_role("table", name="What changed on the account of analyst").inner_text()
    assert (
        "account disabled" in history
        and "left the project" in history
        and "Demo administrator" not in history
    )

    tab.get_by_label("Yes, enable analyst").check()
    tab.get_by_role("button", name="Enable analyst").click()
    tab.wait_for_load_state("networkidle")
    roles = tab.get_by_role("group", name="Roles of analyst")
    roles.get_by_label("triage").check()
    tab.get_by_label("Yes, change the roles of analyst").check()
    tab.get_by_role("button", name="Change roles").click()
    tab.wait_for_load_state("networkidle")
    assert "triage" in tab.locator("dl.figures").inner_text()
    assert "roles changed: analyst, triage" in tab.locator("table").last.inner_text()

    tab.get_by_label("Label").fill("robot")
    tab.get_by_role("button", name="Issue token").click()
    tab.wait_for_load_state("networkidle")
    token_id = re.search(r"Token (t_[0-9a-f]+) issued", tab.get_by_role("status").inner_text())
    assert token_id is not None
    tab.get_by_label(f"Confirm revoking {token_id[1]}").check()
    tab.get_by_role("button", name=f"Revoke {token_id[1]}").click()
    tab.wait_for_load_state("networkidle")
    assert tab.get_by_role("status").filter(has_text=f"Token {token_id[1]} revoked").is_visible()
    body = tab.locator("main").inner_text()
    assert "account.token_revoked" not in body and "API token revoked" in body
    assert not re.search(r"\b\d{4}-\d\d-\d\d\b", body)  # one date format: "8 Dec 2026", never ISO


def test_refusals_and_public_pages_keep_the_menu(tab: Any, demo: LiveServer) -> None:
    login(tab, demo.url, "moderator", PASSWORD)
    refused = tab.goto(demo.url + "/admin/users")
    assert refused.status == 403 and tab.get_by_role("heading", name="Not allowed").is_visible()
    assert tab.get_by_role("navigation", name="Main").get_by_role("link", name="Console").is_visible()
    missing = tab.goto(demo.url + "/no/such/page")
    assert missing.status == 404 and tab.get_by_role("heading", name="Not found").is_visible()
    assert tab.get_by_role("navigation", name="Main").get_by_role("link", name="Console").is_visible()
    tab.goto(demo.url + "/transparency/2020-Q1")
    assert tab.get_by_role("navigation", name="Main").get_by_role("link", name="Console").is_visible()
    assert tab.get_by_role("heading", name="No data this quarter").is_visible()
    assert tab.locator("svg").count() == 0  # no empty charts
    tab.goto(demo.url + "/transparency")
    links = tab.locator("nav.tr-downloads a").all_inner_texts()
    assert not any(link.endswith("→") for link in links)  # the quarter under way is the last
    assert tab.request.get(demo.url + "/favicon.ico").status == 200


def test_the_moderator_reads_a_sender_notes_it_and_suspends_it(tab: Any, demo: LiveServer) -> None:
    login(tab, demo.url, "moderator", PASSWORD)
    nav = tab.get_by_role("navigation", name="Main")
    assert nav.locator(".count").inner_text().split() == ["1", "unread"]  # the pile-on, told in the header
    tab.goto(demo.url + sender_path(PILE_ON_SENDER))
    assert tab.get_by_role("heading", name=re.compile(r"Sender @patriot")).is_visible()
    assert "reported as threat by the detector" in tab.locator("main").inner_text()
    messages = tab.get_by_role("table", name=re.compile("Every message held"))
    flagged = messages.locator(".message-text.blurred").first  # hostile text as the console shows it
    assert flagged.get_attribute("role") == "button" and "revealed" not in (
        flagged.get_attribute("class") or ""
    )
    flagged.click()
    assert "revealed" in (flagged.get_attribute("class") or "")

    tab.get_by_label(re.compile("Add a note for colleagues")).fill(
        "Part of the <Fenmarsh> pile-on; same text as 39 others."
    )
    tab.get_by_role("button", name="Add note").click()
    tab.wait_for_load_state("networkidle")
    notes = tab.locator("#notes").inner_text()
    assert "Part of the <Fenmarsh> pile-on" in notes and "Sam (moderator)" in notes

    tab.get_by_label("Suspend the account").check()
    tab.get_by_label("The message it is decided on").select_option(index=1)
    tab.get_by_label("The rule it applies").select_option(index=1)
    tab.get_by_role("button", name="Decide").click()  # not confirmed: the browser holds it back
    assert tab.get_by_role("status").filter(has_text="is suspended").count() == 0
    tab.get_by_label(re.compile("Yes, act on the account")).check()
    tab.get_by_role("button", name="Decide").click()
    tab.wait_for_load_state("networkidle")
    assert tab.get_by_role("status").filter(has_text="is suspended").is_visible()
    assert "account suspended" in tab.get_by_role("table", name=re.compile("Every message held")).inner_text()

    messages.get_by_role("link", name="Open").first.click()
    tab.wait_for_load_state("networkidle")
    assert tab.get_by_role("heading", name="Moderator notes").is_visible()
    tab.get_by_label(re.compile("Add a note for colleagues")).fill("Checked the thread.")
    tab.get_by_role("button", name="Add note").click()
    tab.wait_for_load_state("networkidle")
    assert "Checked the thread." in tab.locator("#notes").inner_text()

    tab.goto(demo.url + "/notifications")
    assert tab.get_by_text("A pile-on has begun").first.is_visible()
    tab.get_by_role("button", name="Open").first.click()
    tab.wait_for_load_state("networkidle")
    assert "/targets/" in tab.url


def test_the_flagger_pastes_an_address_held_or_not(tab: Any, demo: LiveServer) -> None:
    login(tab, demo.url, "flagger", PASSWORD)
    tab.get_by_role("navigation", name="Main").get_by_role("link", name="Flag a message").click()
    tab.get_by_label(re.compile("Paste the post's address")).fill(
        "https://x.example/someone/status/not-yet-here"
    )
    tab.get_by_label("What is wrong with it?").select_option("threat")
    tab.get_by_role("button", name="Flag").click()
    tab.wait_for_load_state("networkidle")
    assert "does not hold the post" in tab.get_by_role("status").inner_text()

    tab.get_by_label(re.compile("Paste the post's address")).fill(
        "https://x.example/fenmarsh_voter/status/demo-0000"
    )
    tab.get_by_role("button", name="Flag").click()
    tab.wait_for_load_state("networkidle")
    assert tab.url.startswith(demo.url + "/reports")
