"""Every page in a real Chromium under the Content-Security-Policy: nothing refused, htmx and the
stylesheets loaded from this server, and the browser told not to store what it showed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hustings.demo import load_demo
from hustings.web.middleware import CONTENT_SECURITY_POLICY
from tests.conftest import LiveServer, login

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"

PAGES = {
    "admin": [
        "/",
        "/console",
        "/console/queues/unreviewed",
        "/targets",
        "/targets/t_demo_priya",
        "/referrals",
        "/reports",
        "/reports/new",
        "/transparency",
        "/admin/users",
        "/admin/access-log",
    ],
    "agent": ["/inbox", "/inbox/t_demo_priya"],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("csp")).start()
    services = live.services()
    load_demo(services, password=PASSWORD)
    services.session.commit()
    services.session.close()
    yield live
    live.stop()


def _watch(page: Any) -> list[str]:
    """Console errors (where Chromium reports what a policy refused), script errors and failed loads."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"{page.url}: {message.text}")

    def response(answer: Any) -> None:
        if answer.status >= 400:
            problems.append(f"{page.url}: {answer.status} for {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on("response", response)
    return problems


@pytest.mark.parametrize("user", sorted(PAGES))
def test_every_page_works_under_the_policy(page: Any, server: LiveServer, user: str) -> None:
    problems = _watch(page)
    login(page, server.url, user, PASSWORD)
    item_links: list[str] = []
    for path in PAGES[user]:
        response = page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["cache-control"] == "no-store", path
        assert page.evaluate("typeof window.htmx") == "object", path
        # app.css is applied: the skip link sits off-screen until focused
        assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == "absolute"
        if path == "/console/queues/unreviewed":
            item_links = page.eval_on_selector_all(
                "a[href^='/console/items/']", "links => links.map(a => a.getAttribute('href'))"
            )
    if user == "admin":
        assert item_links, "the demo queue should list items"
        page.goto(server.url + item_links[0])
        page.wait_for_load_state("networkidle")
    assert problems == []
