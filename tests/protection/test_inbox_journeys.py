"""The safe inbox as the person targeted and their delegate use it, in a real Chromium.

Aisha (a councillor, the target) and Dan (her delegate) face a pile-on of threats. Hostile words
are not in the page until one of them chooses to see them, and tabbing through the page does not
show them; their viewing choices are remembered; "Report all" files each message with its own
label and their note; what the moderators decided shows on each message and in "My reports"
with the reasons; blocking an account or adding a hidden word moves what is already there to
Hidden and says how many; the Start page leads to the pile-on, and the evidence bundle has a
page. A form that cannot be taken keeps what was typed and says what to change beside the field.
axe finds nothing serious on any of these pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hustings.auth.model import Role
from hustings.events import SYSTEM_ACTOR, user_actor
from hustings.messages.changes import SourceChange
from hustings.messages.model import message_id
from hustings.moderation.decisions import DecisionRequest
from hustings.moderation.events import REPORT_FILED, Action
from hustings.targets.model import TargetRole
from tests.browser.test_accessibility import blocking_violations
from tests.conftest import LiveServer, login
from tests.protection.conftest import message
from tests.protection.test_earlier_messages import LabelDetector

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
NOW = datetime.now(UTC).replace(microsecond=0)
AXE = Path(__file__).parents[1] / "browser" / "axe" / "axe.min.js"
PILE = 30


def crowd(i: int) -> str:
    return message_id("x", f"p{i}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("journeys"), assess_on_ingest=True)
    live.app.state.detector_provider = LabelDetector
    live.start()
    services = live.services()
    services.detector_provider = LabelDetector
    services.settings = live.settings
    target = services.targets.create(
        name="Aisha Okafor",
        role=TargetRole.COUNCILLOR,
        party="Green",
        constituency="Riverside ward",
        handles=[("x", "aisha")],
        now=services.clock.now(),
        target_id="t_aisha",
    )
    now = services.clock.now()
    services.users.create("aisha", {Role.TARGET}, now=now, password=PASSWORD, target_ids=(target.id,))
    services.users.create("dan", {Role.DELEGATE}, now=now, password=PASSWORD, target_ids=(target.id,))
    services.users.create("sam", {Role.MODERATOR}, now=now, password=PASSWORD)
    start = NOW - timedelta(hours=1)
    services.ingest(
        [
            message(
                "1",
                "Thank you for saving the library",
                at=start - timedelta(hours=3),
                author="fan",
                handle="aisha",
            ),
            message("2", "You traitor scum", at=start - timedelta(hours=2), author="angry", handle="aisha"),
            *[
                message(
                    f"p{i}",
                    f"we know where you live, number {i}",
                    at=start + timedelta(minutes=i),
                    author=f"crowd{i}",
                    new=True,
                    followers=3,
                    handle="aisha",
                    reply_to="vote-post",
                )
                for i in range(PILE)
            ],
        ],
        actor=SYSTEM_ACTOR,
    )
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A tab with axe-core loaded in every page (an init script, so the page's CSP stays on)."""
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def card(page: Any, mid: str) -> Any:
    return page.locator(f'li[data-message-id="{mid}"]')


def test_aisha_sees_no_hostile_words_until_she_chooses_and_tabbing_shows_none(
    page: Any, server: LiveServer
) -> None:
    login(page, server.url, "aisha", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Safe inbox").click()
    expect(page.get_by_role("heading", name="Safe inbox for Aisha Okafor")).to_be_visible()
    content = page.content()
    assert "where you live" not in content and "traitor scum" not in content
    assert "Thank you for saving the library" in content  # calm messages are shown as they are
    assert card(page, crowd(5)).locator(".mask-summary").inner_text().startswith("Flagged as threat · ")
    assert card(page, crowd(5)).locator(".mask-summary").inner_text().endswith(" · from @crowd5")
    for _ in range(80):  # through every link and button of the page, and past it
        page.keyboard.press("Tab")
    assert "where you live" not in page.content()

    card(page, crowd(5)).get_by_role("link", name="Show message from @crowd5").click()
    expect(card(page, crowd(5)).locator(".text")).to_have_text("we know where you live, number 5")
    assert "number 6" not in page.content()  # only the one she chose
    card(page, crowd(5)).get_by_role("link", name="Mask again the message from @crowd5").click()
    expect(card(page, crowd(5)).locator(".mask-summary")).to_be_visible()
    assert "where you live" not in page.content()

    page.get_by_role("button", name="Show every message in this folder").click()
    expect(page.locator("#notice")).to_have_text("Every message in Inbox is shown in full.")
    assert "we know where you live, number 6" in page.content() and "traitor scum" in page.content()
    page.get_by_role("button", name="Mask this folder again").click()
    expect(page.locator("#notice")).to_have_text("Hostile messages in Inbox are masked again.")
    assert "where you live" not in page.content()


def test_without_script_show_message_is_a_link_that_reveals_only_that_one(
    browser: Any, server: LiveServer
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, server.url, "aisha", PASSWORD)
    page.goto(f"{server.url}/inbox/t_aisha")
    card(page, crowd(8)).get_by_role("link", name="Show message from @crowd8").click()
    assert "we know where you live, number 8" in page.content()
    assert "number 9" not in page.content()
    context.close()


def test_dans_viewing_choices_are_remembered_and_reveal_one_at_a_time(page: Any, server: LiveServer) -> None:
    login(page, server.url, "dan", PASSWORD)
    page.goto(f"{server.url}/inbox/t_aisha")
    page.get_by_text("How hostile messages are shown to you").click()
    page.get_by_label("Show messages in greyscale").check()
    page.get_by_label("Reveal one message at a time").check()
    page.get_by_role("button", name="Save these choices").click()
    expect(page.locator("#notice")).to_have_text("Your viewing choices are saved.")
    filter_ = card(page, crowd(1)).evaluate("li => getComputedStyle(li).filter")
    assert filter_ == "grayscale(1)"
    assert page.get_by_role("button", name="Show every message in this folder").count() == 0
    card(page, crowd(1)).get_by_role("link", name="Show message from @crowd1").click()
    expect(card(page, crowd(1)).locator(".text")).to_have_text("we know where you live, number 1")
    card(page, crowd(2)).get_by_role("link", name="Show message from @crowd2").click()
    expect(card(page, crowd(2)).locator(".text")).to_have_text("we know where you live, number 2")
    expect(card(page, crowd(1)).locator(".mask-summary")).to_be_visible()  # the last one masked again
    assert "number 1<" not in page.content() and "number 1\n" not in page.content()
    page.reload()
    page.get_by_text("How hostile messages are shown to you").click()
    expect(page.get_by_label("Show messages in greyscale")).to_be_checked()
    expect(page.get_by_label("Reveal one message at a time")).to_be_checked()
    page.get_by_label("Show messages in greyscale").uncheck()
    page.get_by_label("Reveal one message at a time").uncheck()
    page.get_by_role("button", name="Save these choices").click()
    expect(page.locator("#notice")).to_have_text("Your viewing choices are saved.")


def _reports_by(server: LiveServer, name: str) -> dict[str, dict[str, Any]]:
    services = server.services()
    try:
        user = services.users.by_name(name)
        assert user is not None
        found: dict[str, dict[str, Any]] = {}
        for mid in [message_id("x", "2"), *(crowd(i) for i in range(PILE))]:
            for event in services.events.events_for("message", mid):
                if event.kind == REPORT_FILED and event.actor == user_actor(user.id):
                    found[mid] = dict(event.payload)
        return found
    finally:
        services.session.close()


def test_aisha_reports_the_pile_on_with_each_label_and_a_note_and_one_message_her_way(
    page: Any, server: LiveServer
) -> None:
    login(page, server.url, "aisha", PASSWORD)
    page.goto(f"{server.url}/inbox/t_aisha")
    alert = page.locator("section.incident-alert").first
    alert.get_by_text(f"Report all {PILE} messages").click()
    expect(alert.get_by_label("What it is")).to_have_value("as_detected")
    too_long = alert.get_by_label("A note for the moderators (optional)")
    too_long.evaluate("t => t.removeAttribute('maxlength')")
    too_long.fill("y" * 2500)
    alert.get_by_role("button", name=f"Send {PILE} reports").click()
    alert = page.locator("section.incident-alert").first
    expect(alert.locator(".field-error")).to_have_text(
        "Make the note shorter: at most 2000 characters (it has 2500)"
    )
    assert alert.get_by_label("A note for the moderators (optional)").input_value() == "y" * 2500
    assert _reports_by(server, "aisha") == {}  # nothing was filed
    alert.get_by_label("A note for the moderators (optional)").fill("They all came from one forum post")
    alert.get_by_role("button", name=f"Send {PILE} reports").click()
    expect(page.locator("#notice")).to_have_text(f"Reported {PILE} messages to the moderators.")
    reports = _reports_by(server, "aisha")
    assert {reports[crowd(i)]["category"] for i in range(PILE)} == {"threat"}
    assert {reports[crowd(i)]["note"] for i in range(PILE)} == {"They all came from one forum post"}

    angry = card(page, message_id("x", "2"))
    angry.get_by_text("Report", exact=True).click()
    expect(angry.get_by_label("What it is")).to_have_value("abuse")  # the detector's label
    note = angry.get_by_label("A note for the moderators (optional)")
    note.evaluate("t => t.removeAttribute('maxlength')")
    note.fill("x" * 2001)
    angry.get_by_role("button", name="Send report").click()
    angry = card(page, message_id("x", "2"))
    expect(angry.locator(".field-error")).to_have_text(
        "Make the note shorter: at most 2000 characters (it has 2001)"
    )
    assert len(angry.get_by_label("A note for the moderators (optional)").input_value()) == 2001
    assert blocking_violations(page) == []
    angry.get_by_label("What it is").select_option("identity_hate")
    angry.get_by_label("A note for the moderators (optional)").fill("He writes this about my family too")
    angry.get_by_role("button", name="Send report").click()
    expect(page.locator("#notice")).to_have_text("Reported to the moderators.")
    single = _reports_by(server, "aisha")[message_id("x", "2")]
    assert single["category"] == "identity_hate" and single["note"] == "He writes this about my family too"


def test_what_the_moderators_decided_shows_on_the_message_and_in_my_reports(
    page: Any, server: LiveServer
) -> None:
    services = server.services()
    try:
        sam = services.users.by_name("sam")
        assert sam is not None
        for mid, action, rule in [(crowd(3), Action.REMOVE, "T1"), (crowd(4), Action.NO_ACTION, "N1")]:
            services.moderation.claim(moderator=sam, message_id=mid)
            services.moderation.decide(moderator=sam, request=DecisionRequest(mid, action, rule))
        services.session.commit()
    finally:
        services.session.close()
    login(page, server.url, "aisha", PASSWORD)
    page.goto(f"{server.url}/inbox/t_aisha")
    removed = card(page, crowd(3))
    expect(removed.locator(".moderation")).to_contain_text("Removed by the moderators.")
    assert removed.get_by_text("Report", exact=True).count() == 0  # nothing left to report
    kept = card(page, crowd(4))
    expect(kept.locator(".moderation")).to_contain_text("did not break the rules, so it stays up")
    assert kept.get_by_text("Report", exact=True).count() == 1
    expect(card(page, crowd(5)).locator(".moderation")).to_contain_text("Reported: waiting for a moderator.")

    page.get_by_role("link", name="My reports").first.click()
    expect(page.get_by_role("heading", name="My reports")).to_be_visible()
    assert "where you live" not in page.content()
    row = page.locator("#my-reports tbody tr").filter(has_text="We reviewed the message and removed it.")
    expect(row).to_have_count(1)
    expect(row.locator(".mask-summary")).to_have_text("Flagged as threat: masked.")
    expect(row.locator(".reasons")).to_contain_text("T1")
    expect(row.locator(".reasons")).to_contain_text("Malicious Communications Act")
    assert "Sam" not in page.content() and "sam" not in row.inner_text()
    row.get_by_role("link", name="Show message").click()
    expect(page.locator(".excerpt").filter(has_text="number 3")).to_have_count(1)
    assert "number 5" not in page.content()
    assert blocking_violations(page) == []


def test_dan_blocks_a_sender_and_hides_a_word_and_what_is_there_moves_to_hidden(
    page: Any, server: LiveServer
) -> None:
    login(page, server.url, "dan", PASSWORD)
    page.goto(f"{server.url}/inbox/t_aisha")
    card(page, message_id("x", "2")).get_by_role("button", name="Block sender").click()
    expect(page.locator("#notice")).to_have_text("Blocked @angry: 1 earlier message moved to Hidden.")
    assert card(page, message_id("x", "2")).count() == 0
    page.get_by_role("navigation", name="Folders").get_by_role("link", name="Hidden").click()
    hidden = card(page, message_id("x", "2"))
    expect(hidden.locator(".why")).to_contain_text("@angry is on your block list")
    assert "traitor scum" not in page.content()  # still masked in Hidden
    assert blocking_violations(page) == []

    page.get_by_role("link", name="Your controls").click()
    expect(page.get_by_role("heading", name="Your controls")).to_be_visible()
    word = page.get_by_label("Add a word or phrase")
    word.fill("library")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Hidden word added: 1 earlier message moved to Hidden.")

    long_word = page.get_by_label("Add a word or phrase")
    long_word.evaluate("i => i.removeAttribute('maxlength')")
    long_word.fill("a" * 150)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#hidden-word-error")).to_have_text(
        "Must be 1 to 100 characters. You typed 150 characters."
    )
    expect(page.get_by_label("Add a word or phrase")).to_have_value("a" * 150)
    assert blocking_violations(page) == []

    page.goto(f"{server.url}/inbox/t_aisha?folder=hidden")
    expect(card(page, message_id("x", "1")).locator(".why")).to_contain_text(
        "contains the hidden word 'library'"
    )


def test_the_start_page_leads_aisha_to_the_pile_on_and_she_sees_her_evidence_bundle(
    page: Any, server: LiveServer
) -> None:
    login(page, server.url, "aisha", PASSWORD)
    pile_on = page.locator("#pile-on-now")
    expect(pile_on).to_contain_text("is under way")
    pile_on.get_by_role("link", name="Aisha Okafor").click()
    expect(page.get_by_role("heading", name="Safe inbox for Aisha Okafor")).to_be_visible()
    card(page, crowd(7)).get_by_role("button", name="Add to evidence bundle").click()
    expect(page.locator("#notice")).to_have_text("Added to the evidence bundle.")
    page.get_by_role("link", name="Evidence bundle").click()
    expect(page.get_by_role("heading", name="Evidence bundle for Aisha Okafor")).to_be_visible()
    entry = card(page, crowd(7))
    expect(entry).to_contain_text("added from the safe inbox")
    assert "number 7" not in page.content()
    assert blocking_violations(page) == []
    entry.get_by_role("link", name="Show message from @crowd7").click()
    expect(card(page, crowd(7)).locator(".text")).to_have_text("we know where you live, number 7")


def test_the_changed_pages_have_no_serious_accessibility_violations(page: Any, server: LiveServer) -> None:
    login(page, server.url, "dan", PASSWORD)
    problems: list[str] = []
    for path in [
        "/",
        "/inbox/t_aisha",
        "/inbox/t_aisha?folder=held",
        "/inbox/t_aisha?folder=hidden",
        "/inbox/t_aisha/bundle",
        "/reports",
        "/targets/t_aisha",
    ]:
        response = page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status == 200, path
        problems += blocking_violations(page)
    page.goto(server.url + "/inbox/t_aisha")
    page.get_by_text("How hostile messages are shown to you").click()
    card(page, crowd(9)).get_by_role("link", name="Show message from @crowd9").click()
    expect(card(page, crowd(9)).locator(".text")).to_be_visible()
    card(page, crowd(9)).get_by_text("Report", exact=True).click()
    problems += blocking_violations(page)
    assert problems == []


def test_sam_refers_aishas_evidence_bundle_from_her_page_in_one_click(page: Any, server: LiveServer) -> None:
    login(page, server.url, "sam", PASSWORD)
    page.goto(f"{server.url}/targets/t_aisha")
    page.locator("#refer-bundle").click()
    assert "bundle_target_id=t_aisha" in page.url
    expect(page.locator("main")).to_contain_text("Aisha Okafor")
    assert blocking_violations(page) == []


def test_an_edit_or_deletion_at_source_is_marked_and_the_edited_text_stays_off_the_page(
    page: Any, server: LiveServer
) -> None:
    services = server.services()
    services.detector_provider = LabelDetector
    services.settings = server.settings
    result = services.record_changes(
        [
            SourceChange("x", "p20", "we know where you live, EDITED-MARK", NOW),
            SourceChange("x", "p21", None, NOW),
        ],
        actor=SYSTEM_ACTOR,
    )
    assert (result.edits, result.deletions) == (1, 1)
    services.session.commit()
    services.session.close()

    login(page, server.url, "aisha", PASSWORD)
    page.goto(f"{server.url}/inbox/t_aisha")
    edited, deleted = card(page, crowd(20)), card(page, crowd(21))
    expect(edited.locator(".at-source")).to_have_text(
        re.compile(r"^edited at source \d{1,2} \w{3} \d{4}, \d\d:\d\d$")
    )
    expect(deleted.locator(".at-source")).to_have_text(
        re.compile(r"^deleted at source \d{1,2} \w{3} \d{4}, \d\d:\d\d$")
    )
    assert card(page, crowd(19)).locator(".at-source").count() == 0  # untouched at source: no marker
    assert "EDITED-MARK" not in page.content() and "where you live" not in page.content()
    edited.get_by_role("link", name="Show message from @crowd20").click()
    expect(edited.locator(".text")).to_have_text("we know where you live, number 20")  # as received
    assert "EDITED-MARK" not in page.content()  # the marker never carries the edited text
    assert blocking_violations(page) == []


def test_block_all_senders_names_the_count_and_a_stale_confirmation_blocks_nothing(
    page: Any, server: LiveServer
) -> None:
    # Last in this module: it blocks the whole pile-on.
    login(page, server.url, "dan", PASSWORD)
    page.goto(f"{server.url}/inbox/t_aisha")
    alert = page.locator(".incident-alert").first
    form = alert.locator("details.confirm-block-all form")
    assert not form.is_visible()  # one click does not block: the confirmation opens first
    alert.get_by_text(f"Block all {PILE} senders").click()
    expect(form).to_contain_text(f"This blocks {PILE} accounts at once")
    form.locator('input[name="confirm"]').evaluate(f"i => i.value = '{PILE - 1}'")  # a page gone stale
    form.get_by_role("button", name=f"Yes, block {PILE} accounts").click()
    expect(page.get_by_role("alert").filter(has_text="Nothing blocked")).to_contain_text(
        f"this pile-on now has {PILE} senders"
    )
    assert card(page, crowd(3)).count() == 1  # still in the inbox
    alert = page.locator(".incident-alert").first
    alert.get_by_text(f"Block all {PILE} senders").click()
    alert.get_by_role("button", name=f"Yes, block {PILE} accounts").click()
    expect(page.locator("#notice")).to_contain_text(f"Blocked {PILE} accounts")
    assert card(page, crowd(3)).count() == 0
    assert blocking_violations(page) == []
