"""Console pages over HTTP: notices are signed (a crafted link cannot put words on the page),
expected failures come back on the item page, the queue shows time left."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.services import Services
from tests.conftest import MakeUser, bearer, sample_message


def test_claim_through_the_console_and_forged_notices_are_ignored(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    (message_id,) = services.ingest(
        [sample_message("p1", text="You are a disgrace, resign.")], actor="system"
    ).ids
    services.session.commit()
    _, user = make_user(Role.ANALYST)
    _, sam = make_user(Role.MODERATOR)
    _, jo = make_user(Role.MODERATOR)
    client.post("/v1/reports", json={"message_id": message_id, "category": "abuse"}, headers=bearer(user))

    queue = client.get("/console/queues/unreviewed", headers=bearer(sam))
    assert queue.status_code == 200 and "7 d 0 h 0 min left" in queue.text

    claimed = client.post(f"/console/items/{message_id}/claim", data={"queue": "abuse"}, headers=bearer(sam))
    assert claimed.status_code == 200 and claimed.url.params["sig"]
    assert "Claimed: the item is yours" in claimed.text

    refused = client.post(f"/console/items/{message_id}/claim", headers=bearer(jo))
    assert "is claimed by another moderator" in refused.text and 'role="alert"' in refused.text

    forged = client.get(
        f"/console/items/{message_id}?notice=Call+0800+000+000+now&error=Your+account+is+locked",
        headers=bearer(sam),
    )
    assert forged.status_code == 200
    assert "0800" not in forged.text and "account is locked" not in forged.text


def test_my_reports_thanks_only_for_a_report_of_yours(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    (message_id,) = services.ingest([sample_message("p2")], actor="system").ids
    services.session.commit()
    _, user = make_user(Role.DELEGATE)
    filed = client.post(
        "/reports",
        data={"message_id": message_id, "category": "abuse", "note": "<script>x</script>"},
        headers=bearer(user),
    )
    assert filed.status_code == 200 and "has been received" in filed.text
    assert "We have your report and it is waiting for a moderator." in filed.text
    crafted = client.get("/reports?filed=r_fake_12345678", headers=bearer(user))
    assert "has been received" not in crafted.text
    bad = client.post("/reports", data={"message_id": message_id, "category": "rude"}, headers=bearer(user))
    assert bad.status_code == 422 and "category: must be one of" in bad.text
