"""The platform referral pages through the app: refer from the item page, record answers and a check."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.services import Services
from tests.conftest import MakeUser, bearer, sample_message


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_moderator_refers_from_the_item_page_and_records_the_answers(
    client: TestClient, make_user: MakeUser, services: Services, clock: FixedClock
) -> None:
    message_id = services.ingest([sample_message("p1")], actor="system").ids[0]
    services.session.commit()
    _, token = make_user(Role.MODERATOR)
    html = bearer(token) | {"accept": "text/html"}
    item = client.get(f"/console/items/{message_id}", headers=html)
    assert item.status_code == 200
    assert 'id="refer-form"' in item.text and 'value="X"' in item.text, "the platform comes from the source"
    referred = client.post(
        "/platform-referrals",
        data={
            "message_ids": message_id,
            "platform": "X",
            "channel": "trusted_flagger_portal",
            "reference": "TF-1",
        },
        headers=html,
    )
    assert referred.status_code == 200 and "Referred to X." in referred.text
    path = str(referred.url.path)
    assert re.fullmatch(r"/platform-referrals/pr_[0-9a-f]+", path)
    clock.advance(hours=3)
    acked = client.post(f"{path}/answers", data={"answer": "acknowledged"}, headers=html)
    assert "Recorded: acknowledged." in acked.text
    bad = client.post(f"{path}/answers", data={"answer": "actioned"}, headers=html)
    assert "action: say what the platform did" in bad.text
    removed = client.post(f"{path}/answers", data={"answer": "actioned", "action": "removed"}, headers=html)
    assert '<dd id="referral-state">actioned: removed</dd>' in removed.text
    checked = client.post(f"{path}/checks", data={"result": "down"}, headers=html)
    assert "Checked: content gone." in checked.text
    listed = client.get("/platform-referrals", headers=html)
    assert "TF-1" in listed.text and "actioned: removed" in listed.text
    again = client.get(f"/console/items/{message_id}", headers=html)
    assert 'id="platform-referrals-of-item"' in again.text and "actioned" in again.text
    unknown = client.post(
        "/platform-referrals",
        data={
            "message_ids": "m_nope",
            "platform": "X",
            "channel": "api",
            "back": f"/console/items/{message_id}",
        },
        headers=html,
    )
    assert unknown.url.path == f"/console/items/{message_id}" and "m_nope" in unknown.text


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_answer_time_is_typed_on_the_local_clock_and_stored_as_utc(
    client: TestClient, make_user: MakeUser, services: Services, clock: FixedClock
) -> None:
    """T0 is 7 May 2026, 09:00 UTC: 10:00 in London, on summer time (UTC+1)."""
    message_id = services.ingest([sample_message("p1")], actor="system").ids[0]
    services.session.commit()
    _, token = make_user(Role.MODERATOR)
    html = bearer(token) | {"accept": "text/html"}
    referred = client.post(
        "/platform-referrals",
        data={"message_ids": message_id, "platform": "X", "channel": "api"},
        headers=html,
    )
    path = str(referred.url.path)
    referral_id = path.rsplit("/", 1)[1]
    clock.advance(hours=3)  # 12:00 UTC, 13:00 on the London clock
    page = client.get(path, headers=html)
    # Blank until typed: a time filled in when the page opened would be stale when it is sent.
    assert 'name="at" type="datetime-local" aria-describedby="a-at-hint">' in page.text
    assert "Local time, Europe/London" in page.text

    answered = client.post(
        f"{path}/answers", data={"answer": "acknowledged", "at": "2026-05-07T11:30"}, headers=html
    )
    assert "Recorded: acknowledged." in answered.text
    services.session.expire_all()
    (answer,) = services.platform_referrals.get(referral_id).answers
    assert answer.at == datetime(2026, 5, 7, 10, 30, tzinfo=UTC)  # 11:30 BST

    unreadable = client.post(
        f"{path}/answers", data={"answer": "declined", "at": "2026-05-07T25:00"}, headers=html
    )
    assert "at: &#39;2026-05-07T25:00&#39; is not a date and time in Europe/London" in unreadable.text
    skipped = client.post(
        f"{path}/answers", data={"answer": "declined", "at": "2026-03-29T01:30"}, headers=html
    )
    assert "does not exist in Europe/London" in skipped.text
    services.session.expire_all()
    assert len(services.platform_referrals.get(referral_id).answers) == 1, "a bad time records nothing"
