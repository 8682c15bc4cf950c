"""A flagger's report on a post's address: filed at once on the message held there, or kept until
a message with that address is ingested and then filed on it in the flagger's name."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.messages.model import message_id
from hustings.moderation.awaiting import SUBJECT, url_subject
from hustings.moderation.events import REPORT_FILED, FiledReport
from hustings.services import Services
from tests.conftest import MakeUser, sample_message

PASSWORD = "a-long-test-password"
POST = "https://x.example/someone/status/777"


def _flag(client: TestClient, reference: str) -> tuple[int, str]:
    form = client.get("/flag").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    nonce = re.search(r'name="nonce" value="([^"]+)"', form)
    assert csrf is not None and nonce is not None
    data = {
        "csrf_token": csrf[1],
        "nonce": nonce[1],
        "reference": reference,
        "category": "threat",
        "note": "<i>x</i>",
    }
    response = client.post("/flag", data=data, follow_redirects=False)
    return response.status_code, response.text


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_address_not_held_waits_and_is_filed_when_the_post_is_ingested(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    flagger, _ = make_user(Role.FLAGGER, name="flo", password=PASSWORD)
    login = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf is not None
    client.post("/login", data={"name": "flo", "password": PASSWORD, "csrf_token": csrf[1]})

    status, text = _flag(client, POST + "?s=20")
    assert status == 202 and "does not hold the post" in text and POST in text
    waiting = services.log.store.load_statuses([(SUBJECT, url_subject(POST))])[(SUBJECT, url_subject(POST))]
    assert waiting.state == "awaiting" and len(waiting.data["reports"]) == 1

    services.ingest([sample_message("777", url=POST + "/")], actor="system")
    services.session.commit()
    held = message_id("x", "777")
    (report,) = [
        FiledReport.from_event(e) for e in services.moderation.history(held) if e.kind == REPORT_FILED
    ]
    assert report.reporter_id == flagger.id and report.reporter_kind == "trusted_flagger"
    assert report.category == "threat" and report.note == "<i>x</i>"
    matched = services.log.store.load_statuses([(SUBJECT, url_subject(POST))])[(SUBJECT, url_subject(POST))]
    assert matched.state == "matched" and matched.data["message_id"] == held

    status, _ = _flag(client, POST)  # held now: filed on the message at once
    assert status == 303
    reports = [e for e in services.moderation.history(held) if e.kind == REPORT_FILED]
    assert len(reports) == 2


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_unknown_message_id_is_still_refused_by_name(client: TestClient, make_user: MakeUser) -> None:
    make_user(Role.FLAGGER, name="flo", password=PASSWORD)
    login = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf is not None
    client.post("/login", data={"name": "flo", "password": PASSWORD, "csrf_token": csrf[1]})
    status, text = _flag(client, "m_nothing")
    assert status == 404 and "no stored message has the id" in text
