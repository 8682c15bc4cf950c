"""Notifications: raised once per person and cause by the sweep, listed in the app, and e-mailed
through a real SMTP server (aiosmtpd, started here) with a failure recorded and retried."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from hustings.auth.model import Role, User
from hustings.clock import FixedClock
from hustings.events import user_actor
from hustings.moderation.decisions import DecisionRequest
from hustings.moderation.events import Action
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.conftest import MakeUser, sample_message

PASSWORD = "a-long-test-password"


class Inbox:
    """An SMTP handler that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _with_smtp(services: Services, port: int) -> Services:
    settings = services.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_tls": False,
            "smtp_from": "alerts@hustings.test",
        }
    )
    return Services(session=services.session, settings=settings, clock=services.clock)


def _reported_threat(services: Services, reporter: User) -> str:
    services.targets.create(
        target_id="t_priya",
        name="Priya",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "@priya")],
        now=services.clock.now(),
    )
    (stored,) = services.ingest([sample_message("n1", text="I will find you.")], actor="system").stored
    services.moderation.file_report(
        message_id=stored.id, reporter=reporter, category="threat", claims_illegal=True
    )
    services.session.commit()
    return stored.id


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_clock_about_to_run_out_notifies_each_moderator_once_and_emails_them(
    services: Services, make_user: MakeUser, clock: FixedClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    sam, _ = make_user(Role.MODERATOR, name="sam")
    jo, _ = make_user(Role.MODERATOR, name="jo")
    priya, _ = make_user(Role.TARGET, name="priya", target_ids=())
    services.accounts.set_email(sam.id, "sam@example.org", actor="user:admin")
    mailing = _with_smtp(services, port)
    message_id = _reported_threat(mailing, priya)

    assert mailing.notifications.raise_due() == 0  # 24 hours left: nothing is about to run out
    clock.advance(hours=22, minutes=30)
    assert mailing.notifications.raise_due() == 2  # sam and jo
    assert mailing.notifications.raise_due() == 0  # the same cause again: nobody is told twice
    services.session.commit()

    (note,) = mailing.notifications.inbox(sam.id)
    assert note.unread and note.link == f"/console/items/{message_id}" and "threat" in note.title
    assert (
        mailing.notifications.unread_count(jo.id) == 1 and mailing.notifications.unread_count(priya.id) == 0
    )

    assert mailing.notifications.deliver() == (1, 0)  # only sam gave an address
    assert mailing.notifications.deliver() == (0, 0)  # sent once
    services.session.commit()
    ((to, email),) = inbox.messages
    assert to == ["sam@example.org"] and email["From"] == "alerts@hustings.test"
    assert email["Subject"].startswith("Hustings: The clock on an item reported as threat runs out")
    body = email.get_content()
    assert (
        f"/console/items/{message_id}" in body and "I will find you" not in body
    )  # no message text by e-mail
    assert mailing.notifications.inbox(sam.id)[0].email == "sent"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_mail_server_that_is_down_is_recorded_and_retried_not_raised(
    services: Services, make_user: MakeUser, clock: FixedClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    sam, _ = make_user(Role.MODERATOR, name="sam")
    priya, _ = make_user(Role.TARGET, name="priya")
    services.accounts.set_email(sam.id, "sam@example.org", actor="user:admin")
    down = _with_smtp(services, _free_port())  # nothing listens there
    _reported_threat(down, priya)
    clock.advance(hours=23)
    assert down.notifications.raise_due() == 1
    assert down.notifications.deliver() == (0, 1)
    assert down.notifications.deliver() == (0, 0)  # retried later, not at once
    (note,) = down.notifications.inbox(sam.id)
    assert note.email == "pending" and note.unread  # still in the app

    clock.advance(minutes=6)
    up = _with_smtp(services, port)
    assert up.notifications.deliver() == (1, 0)
    assert len(inbox.messages) == 1


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_reporter_hears_of_the_decision_and_reads_it_in_the_app(
    services: Services, make_user: MakeUser, client: TestClient
) -> None:
    sam, _ = make_user(Role.MODERATOR, name="sam")
    priya, _ = make_user(Role.TARGET, name="priya", password=PASSWORD)
    message_id = _reported_threat(services, priya)
    rule = services.moderation.policy.rule_for_category("threat")
    services.moderation.decide(
        moderator=sam,
        request=DecisionRequest(message_id=message_id, action=Action.REMOVE, policy_rule=rule.id),
    )
    assert services.notifications.raise_due() == 1
    services.session.commit()

    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    client.post("/login", data={"name": "priya", "password": PASSWORD, "csrf_token": token[1]})
    home = client.get("/")
    assert re.search(r'href="/notifications"[^>]*>Notifications <span class="count">1<', home.text)
    page = client.get("/notifications")
    assert "A message you reported was decided: removed" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    ident = re.search(r'name="notification" value="([^"]+)"', page.text)
    assert csrf is not None and ident is not None
    followed = client.post(
        "/notifications/read", data={"csrf_token": csrf[1], "notification": ident[1]}, follow_redirects=False
    )
    assert followed.status_code == 303 and followed.headers["location"] == "/reports"
    assert services.notifications.unread_count(priya.id) == 0
    assert 'class="count"' not in client.get("/").text
    other = client.post("/notifications/read", data={"csrf_token": csrf[1], "notification": "someone:else"})
    assert other.status_code == 404


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_police_update_on_a_referral_tells_its_maker_and_the_protected_person_once(
    services: Services, make_user: MakeUser, client: TestClient, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    services.targets.create(
        target_id="t_priya",
        name="Priya",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "@priya")],
        now=services.clock.now(),
    )
    sam, _ = make_user(Role.MODERATOR, name="sam")
    lee, _ = make_user(Role.POLICE_LIAISON, name="lee")
    priya, _ = make_user(Role.TARGET, name="priya", target_ids=("t_priya",), password=PASSWORD)
    dee, _ = make_user(Role.DELEGATE, name="dee", target_ids=("t_priya",))
    stranger, _ = make_user(Role.TARGET, name="stranger", target_ids=())
    services.accounts.set_email(sam.id, "sam@example.org", actor="user:admin")
    services.accounts.set_email(priya.id, "priya@example.org", actor="user:admin")
    mailing = _with_smtp(services, port)
    (stored,) = mailing.ingest([sample_message("n1", text="I will find you.")], actor="system").stored
    message_id = stored.id
    referral = mailing.referrals.create(actor=user_actor(sam.id), message_ids=[message_id])
    assert referral.target_id == "t_priya"
    assert mailing.notifications.raise_due() == 0  # nothing recorded by the police yet
    mailing.referrals.update_status(
        referral.subject_id,
        actor=user_actor(lee.id),
        police_status="acknowledged",
        crime_reference="MP-4471/26",
        note="Suspect wrote: I will find you.",
    )
    assert mailing.notifications.raise_due() == 3  # sam, priya and dee; not lee, who recorded it
    assert mailing.notifications.raise_due() == 0  # the same event again: nobody is told twice
    services.session.commit()

    (made,) = [n for n in mailing.notifications.inbox(sam.id) if n.cause == "referral_updated"]
    assert made.link == f"/referrals/{referral.subject_id}"
    assert referral.subject_id in made.title and "MP-4471/26" in made.title
    assert "acknowledged" in made.title.lower()
    (told,) = [n for n in mailing.notifications.inbox(dee.id) if n.cause == "referral_updated"]
    assert told.link == "/targets/t_priya" and told.title == made.title
    assert mailing.notifications.inbox(lee.id) == [] and mailing.notifications.inbox(stranger.id) == []

    mailing.referrals.record_outcome(referral.subject_id, actor=user_actor(lee.id), outcome="charged")
    assert mailing.notifications.raise_due() == 3
    services.session.commit()
    (closed,) = [n for n in mailing.notifications.inbox(priya.id) if "outcome" in n.title]
    assert "charged" in closed.title.lower()

    assert mailing.notifications.deliver() == (4, 0)  # sam and priya gave addresses: two updates each
    services.session.commit()
    sent = [(to, email["Subject"], email.get_content()) for to, email in inbox.messages]
    assert sorted(to for to, _, _ in sent) == [["priya@example.org"]] * 2 + [["sam@example.org"]] * 2
    for _, subject, body in sent:
        assert referral.subject_id in subject
        assert "I will find you" not in subject + body and "Suspect wrote" not in subject + body

    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    client.post("/login", data={"name": "priya", "password": PASSWORD, "csrf_token": token[1]})
    page = client.get("/notifications")
    assert f"Referral {referral.subject_id}" in page.text and "I will find you" not in page.text
    assert client.get("/targets/t_priya").status_code == 200  # the link leads to a page she may view
