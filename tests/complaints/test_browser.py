"""Complaints in a real Chromium: a member of the public files a complaint and gets a reference;
a complaints officer acknowledges and assesses it; an investigator with a declared conflict
cannot be assigned; a senior officer not on the case must give a reason to open it, and appears
in the oversight report. Then on a second case: the respondent objects to a handler and the
objection is upheld; a panel decides with a sanction outside the guidance and has to give a
reason; every message to each party is on the page beside the timetable; the quarterly figures
count the cases; the party answers the confidence survey from its one-time link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from hustings.auth.model import Role
from hustings.complaints.model import Assessment, Complainant, Grounds, NewComplaint, Source, Viewer, Where
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
        ("ian", Role.INVESTIGATOR),
        ("pam", Role.PANEL_MEMBER),
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


def test_an_objection_a_departure_from_the_guidance_the_messages_and_the_figures(
    browser: Any, server: LiveServer
) -> None:
    services = server.services()
    olive_id = next(u.id for u in services.users.all() if u.name == "olive")
    pam_id = next(u.id for u in services.users.all() if u.name == "pam")
    olive_viewer = services.complaints.viewer(olive_id, {Role.COMPLAINTS_OFFICER})
    case = services.complaints.file(
        NewComplaint(
            party=PARTY,
            category="harassment",
            what="Abuse at a hustings, then online.",
            where=Where(online=False, place="Town hall"),
            when=None,
            source=Source.PHONE,
            complainant=Complainant("Bea Example", "bea@example.org"),
            respondent_member="M2002",
        ),
        actor="phone",
    )
    reference = case.reference
    services.complaints.acknowledge(reference, olive_viewer)
    grounds = Grounds("A pattern over weeks.", ("1.2",), "Witnesses at the town hall.")
    services.complaints.assess(reference, olive_viewer, Assessment.INVESTIGATION, grounds)
    services.session.commit()
    services.session.close()

    olive = as_user(browser, server, "olive")
    olive.goto(f"{server.url}/complaints/cases/{reference}")
    olive.locator("#ag-handler").select_option(label="ian")
    olive.get_by_label("As", exact=True).select_option("investigator")
    olive.get_by_role("button", name="Assign").click()
    expect(olive.get_by_role("status")).to_contain_text("Done: assign.")
    olive.locator("#ob-handler").select_option(label="ian")
    olive.get_by_label("Objection by").select_option("respondent")
    olive.get_by_label("Why", exact=True).fill("The investigator campaigns with the complainant.")
    olive.get_by_role("button", name="Record an objection to a handler").click()
    expect(olive.get_by_role("status")).to_contain_text("Done: object.")
    olive.get_by_label("Upheld (the handler leaves the case)").check()
    olive.locator("#do-reason-1").fill("A close campaigning tie: the objection is fair.")
    olive.get_by_role("button", name="Decide the objection to ian").click()
    expect(olive.get_by_text("The respondent objects to ian")).to_contain_text("upheld")
    accessible(olive)

    olive.locator("#ch-reason").fill("Witnesses agree.")
    olive.locator("#ch-evidence").fill("Three witness statements.")
    olive.get_by_role("button", name="Charge").click()
    olive.get_by_label("Panel members (user ids)").fill(pam_id)
    olive.get_by_role("button", name="Open the hearing").click()
    expect(olive.get_by_role("status")).to_contain_text("Done: hearing.")

    pam = as_user(browser, server, "pam")
    pam.goto(f"{server.url}/complaints/cases/{reference}")
    expect(pam.get_by_role("table", name="Sanction guidance for harassment")).to_be_visible()

    def decide(departure: str) -> None:
        pam.get_by_label("The charge is proved").check()
        pam.get_by_label("Severity").select_option("low")
        pam.get_by_label("Sanction", exact=True).select_option("expulsion")
        pam.get_by_label("If the sanction is outside the guidance: why").fill(departure)
        pam.locator("#d-reason").fill("Proved on the witnesses.")
        pam.locator("#d-evidence").fill("Three witness statements.")
        pam.get_by_role("button", name="Decide").click()

    decide("")
    expect(pam.get_by_role("alert")).to_contain_text("outside the guidance")
    decide("A repeat of conduct already warned about in writing.")
    expect(pam.get_by_role("status")).to_contain_text("Done: decide.")
    expect(pam.locator(".history")).to_contain_text("A repeat of conduct already warned about in writing.")

    olive.goto(f"{server.url}/complaints/cases/{reference}")
    for recipient, words in (
        ("complainant", "Bea, the panel has decided; you may appeal within 21 days."),
        ("respondent", "The panel found the charge proved and set a sanction."),
    ):
        olive.get_by_label("To", exact=True).select_option(recipient)
        olive.get_by_label("The words sent").fill(words)
        olive.get_by_role("button", name="Record a communication").click()
        expect(olive.get_by_role("status")).to_contain_text("Done: communicate.")
    timetable = olive.get_by_role("region", name="Indicative timetable")
    for recipient in ("complainant", "respondent"):
        row = timetable.get_by_role("row").filter(has_text=recipient)
        expect(row).not_to_contain_text("not yet")
        expect(row).to_contain_text("Either party may appeal")
    history = olive.locator(".history")
    expect(history).to_contain_text("Bea, the panel has decided; you may appeal within 21 days.")
    expect(history).to_contain_text("The panel found the charge proved and set a sanction.")

    olive.locator("#cl-reason").fill("No appeal was made.")
    olive.locator("#cl-evidence").fill("The appeal period has passed.")
    olive.get_by_role("button", name="Close").click()
    survey_link = (
        olive.get_by_role("region", name="Confidence survey")
        .locator("li")
        .filter(has_text="complainant")
        .locator("code")
    )
    link = survey_link.inner_text()

    olive.get_by_role("navigation", name="Main").get_by_role("link", name="Complaint figures").click()
    accessible(olive)
    listed = len(olive.request.get(f"{server.url}/v1/complaints").json())
    assert listed >= 2
    received = olive.locator("dt", has_text="Received").locator("xpath=following-sibling::dd")
    expect(received).to_have_text("fewer than 5" if listed < 5 else str(listed))
    expect(olive.get_by_role("table", name="Received by source")).to_contain_text("phone")

    party = tab(browser)
    party.goto(f"{server.url}{link}")
    accessible(party)
    for question in ("handled fairly", "interfered", "kept informed"):
        party.get_by_role("group", name=re.compile(question)).get_by_label("4").check()
    party.get_by_role("button", name="Send my answers").click()
    expect(party.get_by_role("status")).to_contain_text("Thank you")
    party.goto(f"{server.url}{link}")
    expect(party.get_by_role("status")).to_contain_text("this link has been used")


def test_the_audit_sample_and_the_joint_panel_pages_are_accessible(browser: Any, server: LiveServer) -> None:
    services = server.services()
    services.complaints.file(
        NewComplaint(
            party=PARTY,
            category="bullying",
            what="Belittling remarks at branch meetings.",
            where=Where(online=False, place="Branch office"),
            when=None,
            source=Source.EMAIL,
        ),
        actor="email",
    )
    services.session.commit()
    services.session.close()
    vera = as_user(browser, server, "vera")
    vera.get_by_role("navigation", name="Main").get_by_role("link", name="Audit sample").click()
    expect(vera.get_by_role("heading", name=re.compile("Audit sample for"))).to_be_visible()
    accessible(vera)
    first = vera.locator("section.card").first
    first.get_by_label("Finding").select_option("sound")
    first.get_by_label("What the review found").fill("Reasons and clauses at every step.")
    first.get_by_role("button", name=re.compile("Record the finding")).click()
    expect(vera.get_by_role("status")).to_contain_text("recorded")
    expect(vera.locator("section.card").first).to_contain_text("Reasons and clauses at every step.")
    vera.get_by_role("navigation", name="Main").get_by_role("link", name="Joint panel").click()
    expect(vera.get_by_role("heading", name="Cases referred to the joint panel")).to_be_visible()
    accessible(vera)


def test_the_complainant_follows_their_tracking_link_to_the_stage_the_next_step_and_the_message(
    browser: Any, server: LiveServer
) -> None:
    page = tab(browser)
    page.goto(f"{server.url}/complaints/new")
    page.get_by_label("Which party is the complaint about?").select_option(PARTY)
    page.get_by_label("What kind of conduct?").select_option("bullying")
    page.get_by_label("What happened?").fill("He mocks me at every branch meeting.")
    page.get_by_label("Your name").fill("Cal Example")
    page.get_by_label("Your e-mail").fill("cal@example.org")
    page.get_by_role("button", name="Send the complaint").click()
    reference = page.locator(".reference").inner_text()

    olive = as_user(browser, server, "olive")
    olive.goto(f"{server.url}/complaints/cases/{reference}")
    olive.get_by_role("button", name="Acknowledge").click()
    expect(olive.get_by_role("status")).to_contain_text("Done: acknowledge.")
    words = "Cal, we have acknowledged your complaint and will assess it within the time limit."
    olive.get_by_label("To", exact=True).select_option("complainant")
    olive.get_by_label("The words sent").fill(words)
    olive.get_by_role("button", name="Record a communication").click()
    expect(olive.get_by_role("status")).to_contain_text("Not sent by e-mail: record how you sent it.")
    due = olive.locator("dt", has_text="Stage due").locator("xpath=following-sibling::dd").inner_text()
    link = (
        olive.get_by_role("region", name="Tracking links")
        .locator("li")
        .filter(has_text="complainant")
        .locator("code")
        .inner_text()
    )
    public, _, token = link.partition("/complaints/track/")
    assert public == server.settings.public_url and token.startswith(f"{reference}.complainant.")
    link = f"{server.url}/complaints/track/{token}"

    party = tab(browser)  # no account: the link is all the complainant has
    party.goto(link)
    expect(party.get_by_role("heading", name=f"Complaint {reference}: where it is")).to_be_visible()
    now = party.get_by_role("region", name="Where the case is now")
    expect(now).to_contain_text("A complaints officer has acknowledged the complaint.")
    expect(now).to_contain_text("The officer will assess it")
    by = due.replace("overdue", "").strip()  # the staff page and the tracking page show one date format
    expect(now).to_contain_text(f"We expect this by {by}.")
    messages = party.get_by_role("region", name="Messages sent to you")
    expect(messages).to_contain_text(words)
    expect(party.locator("main")).not_to_contain_text("mocks me")  # what the complaint says is the team's
    accessible(party)
    forged = party.goto(link[:-4] + ("0000" if not link.endswith("0000") else "1111"))
    assert forged is not None and forged.status == 404
    expect(party.get_by_role("status")).to_contain_text("this link is not valid")
