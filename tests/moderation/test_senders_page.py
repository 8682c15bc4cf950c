"""The page per sender account: every message, report and decision, confirmed account actions
through moderation and protection, and append-only moderator notes (escaped, recorded once)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.messages.model import message_id
from hustings.moderation.events import DECISION_MADE
from hustings.services import Services
from hustings.targets.model import TargetRole
from hustings.web.templating import sender_path
from tests.conftest import MakeUser, sample_message

PASSWORD = "a-long-test-password"


def _log_in(client: TestClient, name: str) -> str:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf[1]})
    page = client.get("/console")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return token[1]


def _nonce(html: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found is not None
    return found[1]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_moderator_reads_a_sender_notes_it_and_suspends_it(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    make_user(Role.MODERATOR, name="sam", password=PASSWORD)
    priya, _ = make_user(Role.TARGET, name="priya", target_ids=())
    services.targets.create(
        target_id="t_priya",
        name="Priya",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "@priya")],
        now=services.clock.now(),
    )
    author = {"id": "bad1", "handle": "@<b>bad</b>", "followers": 2, "created_at": "2026-05-01T00:00:00Z"}
    services.ingest(
        [sample_message(str(n), author=author, text=f"threat {n}") for n in range(3)], actor="system"
    )
    first = message_id("x", "0")
    services.moderation.file_report(message_id=first, reporter=priya, category="threat", claims_illegal=True)
    services.session.commit()
    key = services.messages.get(first).author.key  # type: ignore[union-attr]  # just ingested
    csrf = _log_in(client, "sam")

    page = client.get(sender_path(key))
    assert (
        page.status_code == 200 and "<b>bad</b>" not in page.text and "@&lt;b&gt;bad&lt;/b&gt;" in page.text
    )
    assert (
        page.text.count('href="/console/items/') >= 3
        and "reported as threat by a user (a notice)" in page.text
    )

    nonce = _nonce(page.text)
    for _ in range(2):  # a double click records one note
        noted = client.post(
            sender_path(key) + "/notes",
            data={"csrf_token": csrf, "nonce": nonce, "note": "<script>x</script> again"},
        )
    assert noted.status_code == 200 and noted.text.count("&lt;script&gt;x&lt;/script&gt; again") == 1
    assert "<script>x</script>" not in noted.text and len(services.notes.of("author", key)) == 1

    rule = services.moderation.policy.rule_for_category("threat").id
    form = {"csrf_token": csrf, "message_id": first, "action": "suspend_account", "policy_rule": rule}
    unconfirmed = client.post(sender_path(key) + "/restrict", data=form)
    assert "tick the box to confirm" in unconfirmed.text
    assert not [e for e in services.moderation.history(first) if e.kind == DECISION_MADE]
    done = client.post(sender_path(key) + "/restrict", data=form | {"confirm": "yes"})
    assert (
        "is suspended" in done.text
        and services.moderation.item(first).data["action_in_force"] == "suspend_account"
    )
    assert "account suspended" in done.text  # the decision in plain words on the timeline

    blocked = client.post(
        sender_path(key) + "/block", data={"csrf_token": csrf, "target_id": "t_priya", "confirm": "yes"}
    )
    assert "block list" in blocked.text
    assert "x:<b>bad</b>" in services.protection.controls("t_priya").blocked

    item = client.get(f"/console/items/{first}")
    assert f'href="{sender_path(key)}"' in item.text and "Moderator notes" in item.text
    item_note = client.post(
        f"/console/items/{first}/notes",
        data={"csrf_token": csrf, "nonce": _nonce(item.text), "note": "seen <i>it</i>"},
    )
    assert "seen &lt;i&gt;it&lt;/i&gt;" in item_note.text and "sam" in item_note.text


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_triage_reads_and_notes_but_does_not_act(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    make_user(Role.TRIAGE, name="alex", password=PASSWORD)
    services.ingest([sample_message("9")], actor="system")
    services.session.commit()
    key = services.messages.get(message_id("x", "9")).author.key  # type: ignore[union-attr]  # just ingested
    csrf = _log_in(client, "alex")
    page = client.get(sender_path(key))
    assert page.status_code == 200 and "Account actions" not in page.text and "Add note" in page.text
    refused = client.post(
        sender_path(key) + "/block", data={"csrf_token": csrf, "target_id": "x", "confirm": "yes"}
    )
    assert refused.status_code == 403
    assert client.get(sender_path("x:nobody")).status_code == 404
