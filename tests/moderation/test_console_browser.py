"""The console in a real Chromium: report -> queue -> claim -> decide -> the reporter sees the
outcome; and one decision applied to a whole cluster of near-duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hustings.auth.model import Role
from hustings.detect.assessment import Label
from hustings.messages.ingest import assessment_event
from hustings.targets.model import TargetRole
from tests.conftest import LiveServer, login, sample_message
from tests.moderation.conftest import assessment

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
THREAT = "I know where you live, Priya. You will be hurt."
PILE_ON = "Go back to where you came from, nobody in Fenmarsh wants you here"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("console")).start()
    services = live.services()
    now = services.clock.now()
    target = services.targets.create(
        name="Priya Raman",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "priya")],
        now=now,
    )
    services.users.create("priya", {Role.TARGET}, now=now, password=PASSWORD, target_ids=(target.id,))
    services.users.create("sam", {Role.MODERATOR}, now=now, password=PASSWORD, display_name="Sam Moderator")
    result = services.ingest(
        [
            sample_message("threat", text=THREAT),
            *(
                sample_message(
                    f"pile{n}", text=PILE_ON + "!" * n, author={"id": f"p{n}", "handle": f"@pile{n}"}
                )
                for n in range(4)
            ),
        ],
        actor="system",
    )
    threat = services.messages.get(result.ids[0])
    assert threat is not None
    services.log.append(assessment_event(threat, assessment(Label.THREAT, text=THREAT), now))
    services.session.commit()
    services.session.close()
    live.ids = result.ids  # type: ignore[attr-defined]  # handed to the tests
    yield live
    live.stop()


def as_user(browser: Any, server: LiveServer, name: str) -> Any:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, server.url, name, PASSWORD)
    return page


def test_report_queue_claim_decide_and_the_reporter_sees_the_outcome(
    browser: Any, server: LiveServer
) -> None:
    threat_id = server.ids[0]  # type: ignore[attr-defined]
    priya = as_user(browser, server, "priya")
    priya.goto(f"{server.url}/reports/new?message_id={threat_id}")
    priya.get_by_label("What is wrong with it?").select_option("threat")
    priya.get_by_label("I believe this is illegal").check()
    priya.get_by_label("Anything we should know").fill("This frightens me.")
    priya.get_by_role("button", name="Send report").click()
    assert "has been received" in priya.get_by_role("status").inner_text()
    assert "waiting for a moderator" in priya.locator("#my-reports").inner_text()

    sam = as_user(browser, server, "sam")
    sam.get_by_role("navigation", name="Main").get_by_role("link", name="Console").click()
    sam.get_by_role("link", name="Unreviewed").click()
    assert sam.locator("table.queue tbody tr").count() == 1
    assert sam.locator("table.queue .message-text.blurred").count() == 1
    sam.keyboard.press("n")
    sam.wait_for_url(f"**/console/items/{threat_id}**")
    text = sam.locator("#message-text")
    assert "blurred" in (text.get_attribute("class") or "")
    assert sam.locator("mark.evidence").first.inner_text() == THREAT[:11]
    sam.keyboard.press("r")
    assert "revealed" in (text.get_attribute("class") or "")
    assert "left" in sam.locator("#time-left").inner_text()
    sam.keyboard.press("c")
    sam.wait_for_load_state("networkidle")
    assert sam.get_by_role("status").inner_text().startswith("Claimed")
    sam.keyboard.press("d")
    assert sam.evaluate("document.activeElement.id") == "policy-rule"
    sam.locator("#policy-rule").select_option("A1")
    sam.locator("#policy-rule").select_option("T1")
    assert sam.locator("#action").input_value() == ""  # no default: the moderator chooses
    assert (
        sam.locator("#action-hint").inner_text().endswith("suggests remove under this rule at this severity.")
    )
    assert "Malicious Communications" in sam.locator("#statement-preview").inner_text()
    sam.locator("#action").select_option("remove")
    sam.get_by_role("button", name="Record decision").click()
    sam.wait_for_load_state("networkidle")
    assert "Decided: remove under rule T1 on 1 message." in sam.get_by_role("status").inner_text()

    priya.goto(f"{server.url}/reports")
    row = priya.locator("#my-reports tbody tr").first
    assert "We reviewed the message and removed it." in row.inner_text()
    assert "Sam Moderator" not in priya.content()  # the reporter never learns who decided
    priya.context.close()
    sam.context.close()


def test_one_decision_applies_to_the_whole_cluster(browser: Any, server: LiveServer) -> None:
    pile = server.ids[1:]  # type: ignore[attr-defined]
    sam = as_user(browser, server, "sam")
    sam.goto(f"{server.url}/console/items/{pile[0]}")
    assert sam.locator("#cluster-heading").inner_text().endswith("(4 messages, 1 distinct text)")
    assert "×4" in sam.locator("#cluster-members").inner_text()  # one row for the four texts
    assert sam.locator("#cluster-needs-claim").is_visible()  # no cluster decision without a claim
    sam.get_by_role("button", name="Claim").click()
    sam.wait_for_load_state("networkidle")
    assert sam.locator("#held-by").inner_text() == "by you"
    sam.locator("#policy-rule").select_option("H1")
    sam.locator("#action").select_option("hide")
    sam.get_by_label("Apply to the undecided near-duplicates").check()
    sam.get_by_role("button", name="Record decision").click()
    assert sam.get_by_role("heading", name="Decide 4 messages as hidden?").is_visible()
    assert "×4" in sam.locator("#confirm-members").inner_text()
    sam.get_by_role("button", name="Decide 4 messages as hidden").click()
    sam.wait_for_load_state("networkidle")
    assert "Decided: hide under rule H1 on 4 messages." in sam.get_by_role("status").inner_text()
    sam.goto(f"{server.url}/console/items/{pile[3]}")
    assert sam.locator("#decision-heading").is_visible()
    prior = sam.locator("#prior-decisions").inner_text()
    assert prior.count("hidden under H1") == 4
    assert sam.locator("#decision-form").count() == 0  # decided: no second decision
    sam.context.close()
