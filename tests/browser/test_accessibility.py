"""The main pages in a real Chromium, checked by axe-core: no violation of serious or critical
impact (WCAG 2 A and AA and axe's best practices), for a logged-out visitor, an admin and an agent.

axe-core is vendored in `tests/browser/axe/` (see its README): nothing is downloaded at test time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hustings.demo import load_demo
from hustings.events import user_actor
from hustings.messages.model import message_id
from hustings.platforms.model import Channel, PlatformReferralDraft
from hustings.web.templating import sender_path
from tests.conftest import LiveServer, login
from tests.elections.conftest import FIRST, KELBRIDGE, KELBRIDGE_DATES

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
AXE = Path(__file__).parent / "axe" / "axe.min.js"
BLOCKING = frozenset({"serious", "critical"})

PAGES = {
    "admin": [
        "/",
        "/console",
        "/console/queues/unreviewed",
        "{item}",  # the first item in the unreviewed queue
        "/console/team",
        "/console/queues/unreviewed?text=zzz-no-such-text&since=not-a-date",  # nothing found, a date refused
        "/targets",
        "/targets/t_demo_priya",
        "/reports",
        "/reports/new",
        "/referrals",
        "/referrals/{referral}",
        "/admin/users",
        "/admin/users/{admin}",  # their own page: no Disable button
        "/admin/users/{agent}",
        "/admin/access-log",
        "/account",
        "/notifications",
        "{sender}",  # a pile-on account's page: messages, reports, decisions, actions, notes
        "/transparency",
        "/transparency/2020-Q1",  # a quarter with no data
        "/platform-referrals",
        "/platform-referrals/{platform_referral}",
        "/elections/{election}/dashboard",
    ],
    "agent": [
        "/",
        "/inbox",
        "/inbox/t_demo_priya",
        "/inbox/t_demo_priya?folder=hidden",
        "/inbox/t_demo_priya/bundle",
        "/targets/t_demo_priya",
        "/reports",
        "/reports/new",
        "/account",
        "/notifications",
    ],
    "moderator": ["/console/queues/unreviewed", "{item}", "{sender}", "/notifications"],
    "flagger": ["/flag", "/notifications"],
}


@dataclass(frozen=True)
class Demo:
    server: LiveServer
    ids: dict[str, str]
    """What the paths above name in braces, besides the queue's first item."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    live = LiveServer(tmp_path_factory.mktemp("a11y")).start()
    services = live.services()
    load_demo(services, password=PASSWORD)
    admin, agent = services.users.by_name("admin"), services.users.by_name("agent")
    assert admin is not None and agent is not None
    referral = services.referrals.create(
        actor=user_actor(admin.id), message_ids=[message_id("x", "demo-0001")], force="Fenshire Police"
    )
    services.referrals.build_pack(referral.subject_id, actor=user_actor(admin.id))
    services.elections.create(KELBRIDGE, "Kelbridge local election", KELBRIDGE_DATES, actor=user_actor(admin.id))
    services.elections.import_candidates(FIRST, actor=user_actor(admin.id), election_id=KELBRIDGE)
    flagged = services.platform_referrals.refer(
        PlatformReferralDraft("X", Channel.EMAIL, (message_id("x", "demo-0001"),), election_id=KELBRIDGE),
        actor=user_actor(admin.id),
    )
    services.session.commit()
    services.session.close()
    ids = {
        "admin": admin.id,
        "agent": agent.id,
        "referral": referral.subject_id,
        "sender": sender_path("x:demo-pileon-author-3"),
    }
    yield Demo(live, ids | {"platform_referral": flagged.id, "election": KELBRIDGE})
    live.stop()


@pytest.fixture
def checked(browser: Any) -> Iterator[Any]:
    """A tab with axe-core in every page it loads (an init script, so the page's CSP stays on)."""
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def blocking_violations(page: Any) -> list[str]:
    """What axe finds on the page as it stands, of serious or critical impact, one line each."""
    found = page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
            resultTypes: ['violations'],
        })).violations"""
    )
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in found
        if v["impact"] in BLOCKING
    ]


def visit(page: Any, url: str) -> list[str]:
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response.status == 200, url
    return blocking_violations(page)


def test_the_login_page_has_no_serious_accessibility_violations(checked: Any, demo: Demo) -> None:
    assert visit(checked, f"{demo.server.url}/login") == []


def test_the_login_page_with_an_error_has_none_either(checked: Any, demo: Demo) -> None:
    checked.goto(f"{demo.server.url}/login")
    checked.get_by_label("User name").fill("nobody")
    checked.get_by_label("Password").fill("not the password")
    checked.get_by_role("button", name="Log in").click()
    checked.wait_for_load_state("networkidle")
    assert checked.get_by_role("alert").count() == 1
    assert blocking_violations(checked) == []


@pytest.mark.parametrize("user", sorted(PAGES))
def test_the_main_pages_have_no_serious_accessibility_violations(checked: Any, demo: Demo, user: str) -> None:
    login(checked, demo.server.url, user, PASSWORD)
    assert "/login" not in checked.url, "the demo user should be logged in"
    problems: list[str] = []
    ids = dict(demo.ids)
    for path in PAGES[user]:
        problems += visit(checked, demo.server.url + path.format(**ids))
        if path == "/console/queues/unreviewed":
            ids["item"] = checked.eval_on_selector(
                "a[href^='/console/items/']", "a => a.getAttribute('href')"
            )
    assert problems == []


def test_the_check_finds_a_violation_when_there_is_one(checked: Any, demo: Demo) -> None:
    """So that an empty list above means the pages are clean, not that axe did not run."""
    checked.goto(f"{demo.server.url}/login")
    checked.wait_for_load_state("networkidle")
    checked.evaluate("document.querySelector('label[for=name]').remove()")  # the user name loses its label
    assert any(" label (critical)" in problem for problem in blocking_violations(checked))


def test_pages_after_a_form_has_an_answer_have_none_either(checked: Any, demo: Demo) -> None:
    """A notice with a token shown once, a form refused with its error, and the QR code to enrol."""
    login(checked, demo.server.url, "admin", PASSWORD)
    checked.goto(f"{demo.server.url}/admin/users")
    checked.get_by_label("User name").fill("a11y-new-user")
    checked.get_by_label("analyst", exact=True).check()
    checked.get_by_role("button", name="Add user").click()
    checked.wait_for_load_state("networkidle")
    assert checked.locator("pre.token").count() == 1
    problems = blocking_violations(checked)
    checked.get_by_label("User name").fill("a11y-new-user")  # taken now: refused with an error
    checked.get_by_label("analyst", exact=True).check()
    checked.get_by_role("button", name="Add user").click()
    checked.wait_for_load_state("networkidle")
    assert checked.get_by_role("alert").count() >= 1
    problems += blocking_violations(checked)
    checked.goto(f"{demo.server.url}/account/second-factor")
    checked.get_by_role("button", name="Set up a second factor").click()
    checked.wait_for_load_state("networkidle")
    assert checked.locator("svg").count() >= 1
    problems += blocking_violations(checked)
    assert problems == []
