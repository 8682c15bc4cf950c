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


def test_the_queue_is_searched_on_the_database_and_a_bad_date_is_named_beside_its_field(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    ids = services.ingest(
        [
            sample_message(
                "s1", text="The bins in Ashby were not collected.", author={"id": "b1", "handle": "@binwatch"}
            ),
            sample_message(
                "s2", text="Resign now, you are useless.", author={"id": "r1", "handle": "@angry"}
            ),
        ],
        actor="system",
    ).ids
    services.session.commit()
    _, user = make_user(Role.ANALYST)
    _, sam = make_user(Role.MODERATOR)
    for message_id in ids:
        client.post("/v1/reports", json={"message_id": message_id, "category": "abuse"}, headers=bearer(user))

    by_text = client.get("/console/queues/unreviewed?text=ashby", headers=bearer(sam)).text
    assert "bins in Ashby" in by_text and "Resign now" not in by_text
    by_author = client.get("/console/queues/unreviewed?author=ANGRY", headers=bearer(sam)).text
    assert "Resign now" in by_author and "bins in Ashby" not in by_author
    bad = client.get("/console/queues/unreviewed?since=last+week&text=ashby", headers=bearer(sam))
    assert bad.status_code == 200 and 'id="q-since-error"' in bad.text
    assert (
        "Give a date as year-month-day" in bad.text and "bins in Ashby" in bad.text
    )  # the rest still applies


def test_a_refused_decision_keeps_what_was_typed_and_says_what_to_change_in_words(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    (message_id,) = services.ingest(
        [sample_message("d1", text="Your housing plan is a shambles.")], actor="system"
    ).ids
    services.session.commit()
    _, sam = make_user(Role.MODERATOR)
    typed = "The moderator typed these careful words about this message."
    refused = client.post(
        f"/console/items/{message_id}/decide",
        data={"policy_rule": "N1", "action": "remove", "decision_facts": typed},
        headers=bearer(sam),
    )
    assert refused.status_code == 422
    assert typed in refused.text and 'id="policy-rule-error"' in refused.text
    assert "finds no breach, so the only action under it is no action" in refused.text
    assert (
        "policy_rule:" not in refused.text
        and "no_action" not in refused.text.split('id="policy-rule-error"')[1][:200]
    )
    unchosen = client.post(
        f"/console/items/{message_id}/decide",
        data={"policy_rule": "A1", "decision_facts": typed},
        headers=bearer(sam),
    )
    assert unchosen.status_code == 422 and "Choose an action" in unchosen.text and typed in unchosen.text


def test_an_empty_referral_form_speaks_in_words(client: TestClient, make_user: MakeUser) -> None:
    _, pc = make_user(Role.POLICE_LIAISON)
    empty = client.post(
        "/referrals", data={"force": "Fenshire Police", "note": "kept note"}, headers=bearer(pc)
    )
    assert empty.status_code == 422
    assert (
        "Nothing to refer yet" in empty.text and "kept note" in empty.text and "Fenshire Police" in empty.text
    )
    assert "bundle_target_id" not in empty.text.split('id="open-referral"')[1].split("<form")[0]


def test_the_queue_dates_are_days_on_the_local_clock(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    """Sent at 23:30 UTC on 7 May 2026: 00:30 on 8 May in London (summer time), as the page shows it."""
    (message_id,) = services.ingest(
        [
            sample_message(
                "late", text="Sent after midnight in London.", created_at="2026-05-07T23:30:00+00:00"
            )
        ],
        actor="system",
    ).ids
    services.session.commit()
    _, user = make_user(Role.ANALYST)
    _, sam = make_user(Role.MODERATOR)
    client.post("/v1/reports", json={"message_id": message_id, "category": "abuse"}, headers=bearer(user))
    queue = "/console/queues/unreviewed"

    eighth = client.get(f"{queue}?since=2026-05-08&until=2026-05-08", headers=bearer(sam)).text
    assert "Sent after midnight in London." in eighth
    seventh = client.get(f"{queue}?since=2026-05-07&until=2026-05-07", headers=bearer(sam)).text
    assert "Sent after midnight in London." not in seventh
    assert "A day in Europe/London." in eighth
