"""The tracking page through the app on SQLite, and the e-mail a communication sends through a
real SMTP server (aiosmtpd, started by the test): the case team writes, the complainant gets an
e-mail with their link and no words of the message, opens the page without an account and reads
the stage, the next step and the message; a forged link is not found; without SMTP the team is
told to record how they sent it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.complaints.model import Recipient
from hustings.complaints.service import party_recipient_id
from hustings.services import Services
from hustings.settings import Settings
from tests.complaints.test_web import file_by_form, step, team
from tests.conftest import MakeUser
from tests.notifications import test_notifications
from tests.notifications.test_notifications import Inbox

mail_server = test_notifications.smtp  # the real SMTP server (aiosmtpd) the notifications tests start

MESSAGE = "Dear Ann, we have acknowledged your complaint <and will assess it>."


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    base = Settings(
        environment="test", data_dir=tmp_path, assess_on_ingest=False, log_json=False, log_level="WARNING"
    )
    if getattr(request, "param", "") != "smtp":
        return base
    _, port = request.getfixturevalue("mail_server")
    return base.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_tls": False,
            "smtp_from": "c@hustings.test",
        }
    )


def _track_link(client: TestClient, ref: str, headers: dict[str, str]) -> str:
    page = client.get(f"/complaints/cases/{ref}", headers=headers)
    found = re.search(r"complainant: <code>http://[^<]*(/complaints/track/[^<]+)</code>", page.text)
    assert found is not None, page.text
    return found[1]


@pytest.mark.parametrize("settings", ["smtp"], indirect=True)
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_complainant_is_emailed_their_link_and_reads_the_message_without_an_account(
    client: TestClient, make_user: MakeUser, services: Services, mail_server: tuple[Inbox, int]
) -> None:
    inbox, _ = mail_server
    ref = file_by_form(client)
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    step(client, ref, officer, action="acknowledge")
    told = step(client, ref, officer, action="communicate", recipient="complainant", text=MESSAGE)
    assert "e-mailed" in client.get(told, headers=officer).text
    step(client, ref, officer, action="communicate", recipient="complainant", text=MESSAGE)
    link = _track_link(client, ref, officer)

    assert services.notifications.deliver() == (2, 0)  # one e-mail per communication
    assert services.notifications.deliver() == (0, 0)
    services.session.commit()
    (to, email), _second = inbox.messages
    body = email.get_content()
    assert to == ["ann@example.org"] and ref in email["Subject"]
    assert f"{services.settings.public_url}{link}" in body and "Dear Ann" not in body
    outbox = services.notifications.store.inbox(party_recipient_id(ref, Recipient.COMPLAINANT), 10)
    assert [s.data["email"] for s in outbox] == ["sent", "sent"]
    assert all(s.data["emailed_to"] == "" for s in outbox)  # the address stays sealed in the case
    assert all(s.data["link"] == "" for s in outbox)  # the link is a credential: made at sending only

    page = client.get(link)
    assert page.status_code == 200
    stage = services.complaints.code.stages["acknowledged"]
    assert stage.plain in page.text and stage.next in page.text
    assert "Dear Ann, we have acknowledged your complaint &lt;and will assess it&gt;." in page.text
    assert "He replied to every post" not in page.text and "M1001" not in page.text
    forged = link[:-1] + ("0" if link[-1] != "0" else "1")
    assert client.get(forged).status_code == 404
    views = [r for r in services.complaints.accesses(ref) if r.action == "party_view"]
    assert [r.user_id for r in views] == ["complainant"]
    _, oversight = team(services, make_user, Role.OVERSIGHT)
    report = client.get("/complaints/oversight", headers=oversight).text
    assert "the complainant's own tracking page" in report


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_without_smtp_nothing_is_sent_and_the_team_is_told_to_record_how(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    ref = file_by_form(client)
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    step(client, ref, officer, action="acknowledge")
    told = step(client, ref, officer, action="communicate", recipient="complainant", text=MESSAGE)
    assert "not sent by e-mail: record how you sent it" in client.get(told, headers=officer).text.lower()
    assert services.notifications.deliver() == (0, 0)
    link = _track_link(client, ref, officer)
    assert MESSAGE.replace("<", "&lt;").replace(">", "&gt;") in client.get(link).text
