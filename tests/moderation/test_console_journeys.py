"""The console as the people who work in it all day use it, in a real Chromium: a moderator, a
senior moderator and a police liaison, each page checked by axe-core as it stands.

A pile-on of six near-identical messages and three other reports are waiting for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from hustings.auth.model import Role
from hustings.moderation.events import ReporterKind
from hustings.targets.model import TargetRole
from tests.browser.test_accessibility import AXE, blocking_violations
from tests.conftest import LiveServer, login, sample_message

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
PILE_ON = "Go back to where you came from, nobody in Fenmarsh wants you here"
OTHERS = (
    "You are a useless waste of space and everyone knows it.",
    "Resign now, you fraud, nobody trusts a word you say.",
    "Quit politics, loser, you will never win anything here.",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("journeys")).start()
    services = live.services()
    now = services.clock.now()
    services.targets.create(
        name="Priya Raman",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "priya")],
        now=now,
    )
    reporter = services.users.create("voter", {Role.ANALYST}, now=now, password=PASSWORD)
    services.users.create("sam", {Role.MODERATOR}, now=now, password=PASSWORD, display_name="Sam Moderator")
    services.users.create(
        "jo", {Role.MODERATOR, Role.TRIAGE}, now=now, password=PASSWORD, display_name="Jo Senior"
    )
    services.users.create("pc", {Role.POLICE_LIAISON}, now=now, password=PASSWORD, display_name="PC Morgan")
    pile = [
        sample_message(f"pile{n}", text=PILE_ON + "!" * n, author={"id": f"p{n}", "handle": f"@pile{n}"})
        for n in range(6)
    ]
    others = [
        sample_message(f"other{n}", text=text, author={"id": f"o{n}", "handle": f"@other{n}"})
        for n, text in enumerate(OTHERS)
    ]
    result = services.ingest([*pile, *others], actor="system")
    for message_id in result.ids:
        services.moderation.file_report(
            message_id=message_id, reporter=reporter, category="abuse", reporter_kind=ReporterKind.USER
        )
    services.session.commit()
    services.session.close()
    live.ids = result.ids  # type: ignore[attr-defined]  # handed to the tests
    yield live
    live.stop()


@pytest.fixture
def people(browser: Any, server: LiveServer) -> Iterator[Any]:
    """`people("sam")`: a logged-in tab of that user's, with axe-core in every page it loads."""
    contexts: list[Any] = []

    def open_as(name: str, **options: Any) -> Any:
        context = browser.new_context(**options)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, server.url, name, PASSWORD)
        return page

    yield open_as
    for context in contexts:
        context.close()


def clean(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    assert blocking_violations(page) == []


def ids(server: LiveServer) -> list[str]:
    return server.ids  # type: ignore[attr-defined,no-any-return]


def test_the_moderator_sees_a_pile_on_as_one_row_searches_and_pages(people: Any, server: LiveServer) -> None:
    sam = people("sam")
    sam.goto(f"{server.url}/console/queues/unreviewed")
    clean(sam)
    rows = sam.locator("table.queue tbody tr")
    assert rows.count() == 4  # six near-duplicates in one row, and three others
    folded = rows.filter(has_text="×6 near-duplicates")
    assert folded.count() == 1 and "Priya Raman" in folded.inner_text()  # the target column
    assert sam.get_by_role("columnheader", name="Target").is_visible()

    sam.get_by_text("Search and filter").click()
    sam.get_by_label("Words in the text").fill("fraud")
    sam.get_by_role("button", name="Filter").click()
    sam.wait_for_load_state("networkidle")
    assert rows.count() == 1 and "Resign now" in rows.inner_text()
    sam.get_by_label("Author handle").fill("@pile")
    sam.get_by_label("Words in the text").fill("")
    sam.get_by_role("button", name="Filter").click()
    sam.wait_for_load_state("networkidle")
    assert rows.count() == 1 and "×6" in rows.inner_text()

    sam.goto(f"{server.url}/console/queues/unreviewed?per_page=2")
    assert rows.count() == 2
    sam.get_by_role("link", name="More items").click()
    sam.wait_for_load_state("networkidle")
    assert rows.count() == 2 and sam.get_by_role("link", name="More items").count() == 0
    clean(sam)


def test_the_queue_fits_a_390_pixel_phone(people: Any, server: LiveServer) -> None:
    phone = people("sam", viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{server.url}/console/queues/unreviewed")
    clean(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.goto(f"{server.url}/console/items/{ids(server)[0]}")
    phone.wait_for_load_state("networkidle")
    wide = phone.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, wide


def test_the_moderator_decides_selected_rows_after_confirming_the_count(
    people: Any, server: LiveServer
) -> None:
    sam = people("sam")
    sam.goto(f"{server.url}/console/queues/unreviewed")
    rows = sam.locator("table.queue tbody tr")
    rows.filter(has_text="useless waste").get_by_role("checkbox").check()
    rows.filter(has_text="never win").get_by_role("checkbox").check()
    sam.get_by_label("Policy rule").select_option("A1")
    sam.get_by_label("Action").select_option("label")
    sam.get_by_role("button", name="Review the selected items").click()
    assert sam.get_by_role("heading", name="Decide 2 messages as labelled?").is_visible()
    assert sam.locator("#confirm-members li").count() == 2
    clean(sam)
    sam.get_by_role("button", name="Decide 2 messages as labelled").click()
    sam.wait_for_load_state("networkidle")
    notice = sam.get_by_role("status").inner_text()
    assert "Decided: label under rule A1 on 2 messages." in notice and "can appeal" in notice
    assert rows.filter(has_text="useless waste").count() == 0


def test_skip_escalate_and_release_leave_a_trace_and_can_be_undone(people: Any, server: LiveServer) -> None:
    sam = people("sam")
    fraud = ids(server)[7]
    sam.goto(f"{server.url}/console/items/{fraud}?queue=unreviewed")
    sam.get_by_role("button", name="Skip").click()
    sam.wait_for_load_state("networkidle")
    notice = sam.get_by_role("status")
    assert f"Skipped item {fraud}" in notice.inner_text()
    clean(sam)
    notice.get_by_role("button", name="Undo skip").click()
    sam.wait_for_load_state("networkidle")
    assert sam.get_by_role("status").inner_text().startswith("Skip undone")

    sam.get_by_label("Escalate to a senior moderator: why?").fill("Possible coordinated campaign")
    sam.get_by_role("button", name="Escalate").click()
    sam.wait_for_load_state("networkidle")
    assert f"Escalated item {fraud}" in sam.get_by_role("status").inner_text()
    sam.get_by_role("button", name="Undo escalate").click()
    sam.wait_for_load_state("networkidle")
    assert sam.get_by_role("status").inner_text().startswith("Escalation undone")
    assert (
        sam.locator("#item-state").inner_text() == "reported, awaiting review"
    )  # back to where it was, in words

    sam.get_by_role("button", name="Claim").click()
    sam.get_by_role("button", name="Release").click()
    sam.wait_for_load_state("networkidle")
    assert "Released" in sam.get_by_role("status").inner_text()
    sam.get_by_role("button", name="Undo release").click()
    sam.wait_for_load_state("networkidle")
    assert sam.locator("#held-by").inner_text() == "by you"


def test_the_moderator_assigns_an_item_to_a_colleague_and_the_team_sees_who_holds_it(
    people: Any, server: LiveServer
) -> None:
    sam = people("sam")
    item = ids(server)[7]  # held by Sam since the undo above: he hands it on
    sam.goto(f"{server.url}/console/items/{item}?queue=unreviewed")
    sam.get_by_label("Assign to").select_option(label="Jo Senior")
    sam.get_by_role("button", name="Assign").click()
    sam.wait_for_load_state("networkidle")
    assert sam.get_by_role("status").inner_text() == "Assigned to Jo Senior."
    assert sam.locator("#held-by").inner_text() == "by Jo Senior"
    assert sam.get_by_role("button", name="Claim").count() == 0
    sam.goto(f"{server.url}/console/team")
    clean(sam)
    assert "Jo Senior: 1 item" in sam.locator("main").inner_text(), sam.locator("main").inner_text()
    jo = people("jo")
    jo.goto(f"{server.url}/console/queues/mine")
    assert jo.locator("table.queue tbody tr").count() == 1


def test_a_cluster_decision_shows_its_texts_and_a_decided_item_shows_who_when_and_why(
    people: Any, server: LiveServer
) -> None:
    sam = people("sam")
    lead = ids(server)[0]
    sam.goto(f"{server.url}/console/items/{lead}?queue=unreviewed")
    assert "×6" in sam.locator("#cluster-members").inner_text()  # all six, as one text
    sam.get_by_role("button", name="Claim").click()
    sam.wait_for_load_state("networkidle")
    # An action the rule does not allow is refused beside the rule, with what was typed kept.
    sam.get_by_label("Policy rule").select_option("N1")
    sam.get_by_label("Action", exact=True).select_option("remove")
    sam.get_by_label("Facts relied on").fill("Typed before the error")
    sam.get_by_role("button", name="Record decision").click()
    sam.wait_for_load_state("networkidle")
    assert "finds no breach" in sam.locator("#policy-rule-error").inner_text()
    assert sam.get_by_label("Facts relied on").input_value() == "Typed before the error"
    clean(sam)
    sam.get_by_label("Policy rule").select_option("H1")
    sam.get_by_label("Start the statement from a template").select_option(
        label="Attack on a protected characteristic"
    )
    assert "Priya Raman" in sam.get_by_label("Facts relied on").input_value()
    sam.get_by_label("Action", exact=True).select_option("remove")
    sam.get_by_label("Apply to the undecided near-duplicates").check()
    sam.get_by_role("button", name="Record decision").click()
    assert sam.get_by_role("heading", name="Decide 6 messages as removed?").is_visible()
    assert "×6" in sam.locator("#confirm-members").inner_text()
    clean(sam)
    sam.get_by_role("button", name="Decide 6 messages as removed").click()
    sam.wait_for_load_state("networkidle")
    assert "on 6 messages" in sam.get_by_role("status").inner_text()

    record = sam.locator("#decision-record")
    assert "by Sam Moderator" in record.inner_text()
    assert sam.locator("#decision-record time").get_attribute("datetime")
    shown = sam.locator("#decision-record time").inner_text()
    assert "2026" in shown and not re.search(r"\d{4}-\d\d-\d\dT", shown)  # words in local time, not ISO
    reasons = sam.locator("#statement-of-reasons").inner_text()
    assert "Priya Raman" in reasons and "Terms relied on" in reasons
    for gone in ("Claim", "Release", "Skip", "Escalate", "Record decision"):
        assert sam.get_by_role("button", name=gone, exact=True).count() == 0
    assert sam.locator("#time-left").inner_text() == "stopped: decided"
    clean(sam)


def test_the_senior_moderator_decides_an_appeal_the_original_moderator_cannot(
    people: Any, server: LiveServer
) -> None:
    sam = people("sam")
    item = ids(server)[6]  # labelled by Sam in the batch above, or decided here
    sam.goto(f"{server.url}/console/items/{item}?queue=unreviewed")
    if sam.locator("#decision-record").count() == 0:
        sam.get_by_label("Policy rule").select_option("A1")
        sam.get_by_label("Action", exact=True).select_option("label")
        sam.get_by_role("button", name="Record decision").click()
        sam.wait_for_load_state("networkidle")
    sam.get_by_label("Record the author's appeal").fill("It was a joke between friends")
    sam.get_by_role("button", name="Record appeal").click()
    sam.wait_for_load_state("networkidle")
    assert sam.get_by_role("button", name="Claim").count() == 0  # not offered the appeal
    assert "You made the decision under appeal" in sam.locator("#appeal-refusal").inner_text()
    assert sam.locator("#appeal-decision-form").count() == 0
    clean(sam)

    jo = people("jo")
    jo.goto(f"{server.url}/console/items/{item}?queue=appealed")
    jo.get_by_role("button", name="Claim").click()
    jo.wait_for_load_state("networkidle")
    jo.get_by_label("Reasons").fill("Read in context, it is still abuse.")
    jo.get_by_role("button", name="Decide appeal").click()
    jo.wait_for_load_state("networkidle")
    assert jo.locator("#outcome-error").inner_text() == "Choose whether to uphold or reverse the decision"
    assert jo.get_by_label("Reasons").input_value() == "Read in context, it is still abuse."
    clean(jo)
    jo.get_by_label("Uphold the decision").check()
    jo.get_by_role("button", name="Decide appeal").click()
    jo.wait_for_load_state("networkidle")
    assert "Appeal upheld" in jo.get_by_role("status").inner_text()
    assert "by Jo Senior" in jo.locator("#appeal-outcome").inner_text()


def test_refer_to_police_from_an_item_and_the_liaison_must_choose_the_outcome(
    people: Any, server: LiveServer
) -> None:
    sam = people("sam")
    item = ids(server)[7]
    sam.goto(f"{server.url}/console/items/{item}?queue=unreviewed")
    sam.get_by_role("link", name="Refer this message to police").click()
    sam.wait_for_load_state("networkidle")
    referring = sam.locator("#referring").inner_text()
    assert "You are referring 1 message" in referring and "Resign now, you fraud" in referring
    assert sam.get_by_label("Message references").count() == 0  # nothing to type
    clean(sam)
    sam.get_by_label("Police force").fill("Fenshire Police")
    sam.get_by_role("button", name="Open referral").click()
    sam.wait_for_load_state("networkidle")
    referral_url = sam.url

    pc = people("pc")
    pc.goto(referral_url)
    outcome = pc.get_by_label("Outcome")
    assert outcome.input_value() == ""  # no default
    pc.locator("#o-note").fill("Spoke to the officer in charge")
    pc.get_by_role("button", name="Close with outcome").click()
    pc.wait_for_load_state("networkidle")
    assert pc.locator("#o-outcome-error").inner_text() == "Choose the outcome the police reported"
    assert pc.locator("#o-note").input_value() == "Spoke to the officer in charge"
    clean(pc)
    pc.get_by_label("Outcome").select_option("words_of_advice")
    pc.get_by_role("button", name="Close with outcome").click()
    pc.wait_for_load_state("networkidle")
    assert "words of advice" in pc.locator("dl.figures").inner_text()
