"""/v1/platform-referrals through the app on SQLite and PostgreSQL: refer, answer, check, figures, roles."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.services import Services
from tests.conftest import MakeUser, bearer, sample_message


@pytest.fixture
def message_ids(services: Services) -> list[str]:
    result = services.ingest([sample_message("p1"), sample_message("p2")], actor="system")
    services.session.commit()
    return list(result.ids)


def test_a_moderator_refers_and_records_the_platforms_answers(
    client: TestClient, make_user: MakeUser, clock: FixedClock, message_ids: list[str]
) -> None:
    _, token = make_user(Role.MODERATOR)
    moderator = bearer(token)
    body = {
        "platform": "x",
        "channel": "trusted_flagger_portal",
        "message_ids": message_ids,
        "reference": "TF-9",
    }
    created = client.post("/v1/platform-referrals", json=body, headers=moderator)
    assert created.status_code == 201, created.text
    referral = created.json()
    assert (referral["platform"], referral["state"], referral["message_ids"]) == ("X", "sent", message_ids)
    again = client.post("/v1/platform-referrals", json=body, headers=moderator)
    assert again.json()["id"] == referral["id"]
    rid = referral["id"]
    clock.advance(hours=2)
    acked = client.post(
        f"/v1/platform-referrals/{rid}/answers", json={"answer": "acknowledged"}, headers=moderator
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "acknowledged"
    clock.advance(hours=4)
    removed = client.post(
        f"/v1/platform-referrals/{rid}/answers",
        json={"answer": "actioned", "action": "removed"},
        headers=moderator,
    )
    assert (removed.json()["state"], removed.json()["action"]) == ("actioned", "removed")
    checked = client.post(f"/v1/platform-referrals/{rid}/checks", json={"result": "down"}, headers=moderator)
    assert checked.json()["content_up"] == "down"
    assert [
        a["answer"] for a in client.get(f"/v1/platform-referrals/{rid}", headers=moderator).json()["answers"]
    ] == [
        "acknowledged",
        "actioned",
    ]
    clock.advance(days=2)
    figures = client.get("/v1/platform-referrals/response", headers=moderator).json()
    assert figures["by_platform"]["X"]["referrals_sent"] == 1
    assert figures["by_platform"]["X"]["actioned_share"] == 1.0
    assert figures["by_platform"]["X"]["time_to_action_hours"]["median"] == pytest.approx(6.0)
    assert figures["no_answer_after_24h_share"] == 0.0
    assert figures["no_answer_after_7d_share"] is None, "seven days have not passed"


def test_bad_answers_are_refused_naming_the_field(
    client: TestClient, make_user: MakeUser, message_ids: list[str]
) -> None:
    _, token = make_user(Role.FLAGGER)
    flagger = bearer(token)
    rid = client.post(
        "/v1/platform-referrals",
        json={"platform": "mastodon.scot", "channel": "email", "message_ids": message_ids[:1]},
        headers=flagger,
    ).json()["id"]
    declined = client.post(
        f"/v1/platform-referrals/{rid}/answers", json={"answer": "declined"}, headers=flagger
    )
    assert declined.status_code == 422 and "reason" in declined.text
    actioned = client.post(
        f"/v1/platform-referrals/{rid}/answers", json={"answer": "actioned"}, headers=flagger
    )
    assert actioned.status_code == 422 and "action" in actioned.text
    missing = client.post(
        "/v1/platform-referrals",
        json={"platform": "X", "channel": "api", "message_ids": ["m_nope"]},
        headers=flagger,
    )
    assert missing.status_code == 404 and "m_nope" in missing.text
    assert client.get("/v1/platform-referrals/pr_nope", headers=flagger).status_code == 404


def test_analysts_read_but_do_not_refer(
    client: TestClient, make_user: MakeUser, message_ids: list[str]
) -> None:
    _, token = make_user(Role.ANALYST)
    analyst = bearer(token)
    assert client.get("/v1/platform-referrals", headers=analyst).status_code == 200
    refused = client.post(
        "/v1/platform-referrals",
        json={"platform": "X", "channel": "api", "message_ids": message_ids},
        headers=analyst,
    )
    assert refused.status_code == 403
    _, target_token = make_user(Role.TARGET)
    assert client.get("/v1/platform-referrals", headers=bearer(target_token)).status_code == 403
