"""The whole path through the API: report, queue, claim, decide, the reporter sees the outcome;
appeals to a different moderator; cluster decisions; status rebuilt from the log matches;
reading a queue writes nothing to the log."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.conftest import MakeUser, bearer, sample_message


def _target(services: Services, clock: FixedClock) -> str:
    target = services.targets.create(
        name="Priya Raman",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "priya")],
        now=clock.now(),
    )
    services.session.commit()
    return target.id


def _ingest(services: Services, *messages: dict[str, Any]) -> list[str]:
    result = services.ingest(list(messages), actor="system")
    services.session.commit()
    return result.ids


def test_report_queue_claim_decide_and_the_reporter_sees_the_outcome(
    client: TestClient, services: Services, clock: FixedClock, make_user: MakeUser
) -> None:
    target_id = _target(services, clock)
    (message_id,) = _ingest(
        services, sample_message("1", text="I know where you live, Priya. Watch yourself.")
    )
    _, priya = make_user(Role.TARGET, target_ids=(target_id,))
    moderator, mod_token = make_user(Role.MODERATOR, name="sam")
    _, other_mod = make_user(Role.MODERATOR)

    filed = client.post(
        "/v1/reports",
        json={"message_id": message_id, "category": "threat", "claims_illegal": True, "note": "scared"},
        headers=bearer(priya),
    )
    assert filed.status_code == 201, filed.text
    report = filed.json()
    assert report["reporter_kind"] == "target" and report["repeat"] is False
    again = client.post(
        "/v1/reports", json={"message_id": message_id, "category": "threat"}, headers=bearer(priya)
    ).json()
    assert again["repeat"] is True

    queue = client.get("/v1/queues/unreviewed/items", headers=bearer(mod_token)).json()
    assert [item["message_id"] for item in queue] == [message_id]
    assert (
        queue[0]["report_count"] == 2
        and queue[0]["distinct_reporters"] == 1
        and queue[0]["repeat_reports"] == 1
    )
    assert queue[0]["time_left"] == "1 d 0 h 0 min left"
    assert (
        client.get("/v1/queues/threat/items", headers=bearer(mod_token)).json()[0]["message_id"] == message_id
    )

    assert client.post(f"/v1/items/{message_id}/claim", headers=bearer(mod_token)).json()["claimed_by_you"]
    refused = client.post(f"/v1/items/{message_id}/claim", headers=bearer(other_mod))
    assert refused.status_code == 409 and "claimed by another moderator" in refused.json()["detail"]
    wrong_rule = client.post(
        "/v1/decisions",
        json={"message_id": message_id, "action": "remove", "policy_rule": "N1"},
        headers=bearer(mod_token),
    )
    assert wrong_rule.status_code == 422 and "policy_rule" in wrong_rule.json()["detail"]

    clock.advance(hours=2)
    decided = client.post(
        "/v1/decisions",
        json={"message_id": message_id, "action": "remove", "policy_rule": "T1"},
        headers=bearer(mod_token),
    )
    assert decided.status_code == 201, decided.text
    statement = decided.json()["statement"]
    assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement["source_type"] == "SOURCE_ARTICLE_16"
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]

    seen = client.get(f"/v1/reports/{report['report_id']}", headers=bearer(priya))
    assert seen.status_code == 200
    assert seen.json()["stage"] == "decided" and "removed" in seen.json()["outcome"]
    assert moderator.id not in seen.text and "sam" not in seen.text
    assert [r["report_id"] for r in client.get("/v1/reports", headers=bearer(priya)).json()] == [
        again["report_id"],
        report["report_id"],
    ]
    _, stranger = make_user(Role.FLAGGER)
    assert client.get(f"/v1/reports/{report['report_id']}", headers=bearer(stranger)).status_code == 404

    status = services.events.status("message", message_id)
    assert status is not None and status.data["decision"]["time_to_decision_seconds"] == 7200.0
    assert status.data["decision"]["within_clock"] is True
    decision_event = services.events.events_for("message", message_id)[-1]
    assert decision_event.kind == "decision.made" and decision_event.payload["policy_version"]


def test_an_appeal_goes_to_a_different_moderator_and_is_allowed_once(
    client: TestClient, services: Services, clock: FixedClock, make_user: MakeUser
) -> None:
    (message_id,) = _ingest(services, sample_message("2", text="You useless brainless waste of space."))
    _, decider = make_user(Role.MODERATOR)
    _, reviewer = make_user(Role.MODERATOR)
    _, triage = make_user(Role.TRIAGE)
    _, user = make_user(Role.ANALYST)
    report = client.post(
        "/v1/reports", json={"message_id": message_id, "category": "abuse"}, headers=bearer(user)
    )
    assert report.status_code == 201
    assert (
        client.post(
            "/v1/decisions",
            json={"message_id": message_id, "action": "hide", "policy_rule": "A1"},
            headers=bearer(decider),
        ).status_code
        == 201
    )
    appeal = client.post(
        "/v1/appeals", json={"message_id": message_id, "reason": "It was a joke."}, headers=bearer(triage)
    )
    assert appeal.status_code == 201 and appeal.json()["state"] == "appealed"
    twice = client.post(
        "/v1/appeals", json={"message_id": message_id, "reason": "Again"}, headers=bearer(triage)
    )
    assert twice.status_code == 409
    assert [
        i["message_id"] for i in client.get("/v1/queues/appealed/items", headers=bearer(reviewer)).json()
    ] == [message_id]
    same = client.post(
        f"/v1/appeals/{message_id}/decision",
        json={"outcome": "reversed", "reasons": "On reflection, fair comment."},
        headers=bearer(decider),
    )
    assert same.status_code == 409 and "different moderator" in same.json()["detail"]
    assert client.post(f"/v1/items/{message_id}/claim", headers=bearer(decider)).status_code == 409
    done = client.post(
        f"/v1/appeals/{message_id}/decision",
        json={"outcome": "reversed", "reasons": "Insulting but not abuse under A1."},
        headers=bearer(reviewer),
    )
    assert done.status_code == 200, done.text
    assert done.json()["action_in_force"] == "no_action" and done.json()["state"] == "appeal_decided"
    outcome = client.get(f"/v1/reports/{report.json()['report_id']}", headers=bearer(user)).json()
    assert outcome["stage"] == "appeal_decided" and "reversed" in outcome["outcome"]


def test_one_decision_applies_to_every_member_of_a_cluster(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    words = "Go back to where you came from, nobody in Fenmarsh wants you here"
    ids = _ingest(
        services,
        *(
            sample_message(f"c{n}", text=words + "!" * n, author={"id": f"p{n}", "handle": f"@p{n}"})
            for n in range(6)
        ),
    )
    _, token = make_user(Role.MODERATOR)
    _, other = make_user(Role.MODERATOR)
    _, user = make_user(Role.ANALYST)
    client.post("/v1/reports", json={"message_id": ids[0], "category": "identity_hate"}, headers=bearer(user))
    client.post("/v1/reports", json={"message_id": ids[5], "category": "identity_hate"}, headers=bearer(user))
    assert client.post(f"/v1/items/{ids[5]}/claim", headers=bearer(other)).status_code == 200
    whole = {"message_id": ids[0], "action": "remove", "policy_rule": "H1", "apply_to_cluster": True}
    unclaimed = client.post("/v1/decisions", json=whole, headers=bearer(token))
    assert unclaimed.status_code == 409 and "claim this item" in unclaimed.json()["detail"]
    untouched = services.events.status("message", ids[3])
    assert untouched is not None and untouched.state != "decided"
    assert client.post(f"/v1/items/{ids[0]}/claim", headers=bearer(token)).status_code == 200
    item = client.get(f"/v1/items/{ids[0]}", headers=bearer(token)).json()
    assert sorted(item["cluster"]) == sorted(ids[1:])
    stale = client.post("/v1/decisions", json={**whole, "expected_count": 6}, headers=bearer(token))
    assert stale.status_code == 409
    assert "expected to decide 6 messages, but 5 can be decided now" in stale.json()["detail"]
    still = services.events.status("message", ids[0])
    assert still is not None and still.state == "claimed"  # nothing decided
    decided = client.post("/v1/decisions", json={**whole, "expected_count": 5}, headers=bearer(token)).json()
    assert decided["decided"][0] == ids[0] and sorted(decided["decided"]) == sorted(ids[:5])
    assert decided["skipped"] == {ids[5]: "claimed by another moderator"}
    later = client.get(f"/v1/items/{ids[5]}", headers=bearer(other)).json()
    assert {p["message_id"] for p in later["prior_decisions"]} == set(ids[:5])
    member = services.events.status("message", ids[3])
    assert member is not None and member.state == "decided"
    assert (
        services.events.events_for("message", ids[3])[-1].payload["statement"]["source_type"]
        == "SOURCE_VOLUNTARY"
    )


def test_status_rebuilt_from_the_log_matches(
    client: TestClient, services: Services, clock: FixedClock, make_user: MakeUser
) -> None:
    ids = _ingest(services, sample_message("r1", text="Someone should hurt you badly"), sample_message("r2"))
    _, mod = make_user(Role.MODERATOR)
    _, triage = make_user(Role.TRIAGE)
    _, user = make_user(Role.FLAGGER)
    for message_id in ids:
        client.post(
            "/v1/reports", json={"message_id": message_id, "category": "threat"}, headers=bearer(user)
        )
    client.post(f"/v1/items/{ids[0]}/claim", headers=bearer(mod))
    client.post(f"/v1/items/{ids[1]}/escalate", json={"reason": "needs a senior"}, headers=bearer(triage))
    clock.advance(hours=25)  # both fell due an hour ago: the sweep raises their alerts
    assert services.moderation.sweep_clocks() == 2
    services.session.commit()
    client.post(
        "/v1/decisions",
        json={"message_id": ids[0], "action": "remove", "policy_rule": "T1"},
        headers=bearer(mod),
    )
    before = {key: value for key, value in services.events.all_statuses().items() if key[0] == "message"}
    assert before[("message", ids[1])].data["breached"] is True
    assert before[("message", ids[0])].data["decision"]["within_clock"] is False
    services.log.rebuild()
    after = {key: value for key, value in services.events.all_statuses().items() if key[0] == "message"}
    assert after == before


def test_reading_the_queues_writes_nothing_to_the_log(
    client: TestClient, services: Services, clock: FixedClock, make_user: MakeUser
) -> None:
    """The clock sweep runs on its own schedule: a queue read past an item's due time leaves the
    log as it was, and the next sweep raises the alert once."""
    (message_id,) = _ingest(services, sample_message("q1"))
    _, mod = make_user(Role.MODERATOR)
    _, user = make_user(Role.FLAGGER)
    client.post("/v1/reports", json={"message_id": message_id, "category": "threat"}, headers=bearer(user))
    clock.advance(days=8)
    before = [event.idempotency_key for event in services.events.iter_events()]
    for path in ("/v1/queues", "/v1/queues/breaching/items", "/console", "/console/queues/breaching"):
        assert client.get(path, headers=bearer(mod)).status_code == 200
    items = client.get("/v1/queues/breaching/items", headers=bearer(mod)).json()
    assert [item["message_id"] for item in items] == [message_id] and items[0]["breached"] is True
    assert [event.idempotency_key for event in services.events.iter_events()] == before
    assert services.moderation.sweep_clocks() == 1
    assert services.moderation.sweep_clocks() == 0
