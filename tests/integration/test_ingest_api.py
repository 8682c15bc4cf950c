"""POST /v1/messages on SQLite and PostgreSQL: idempotency, partial rejection, auth."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.conftest import MakeUser, bearer, sample_message


def test_ingest_stores_new_messages_and_counts_duplicates(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, token = make_user(Role.ADMIN)
    batch = {"messages": [sample_message("1"), sample_message("2")]}
    first = client.post("/v1/messages", json=batch, headers=bearer(token))
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == 2 and first.json()["duplicates"] == 0
    again = client.post("/v1/messages", json=batch, headers=bearer(token))
    assert again.json() == {"accepted": 0, "duplicates": 2, "rejected": [], "ids": first.json()["ids"]}
    stored = services.messages.get(first.json()["ids"][0])
    assert stored is not None and stored.text == sample_message("1")["text"]
    kinds = [event.kind for event in services.events.events_for("message", stored.id)]
    assert kinds.count("message.ingested") == 1, kinds


def test_a_bad_message_is_rejected_by_index_and_its_neighbours_stored(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, token = make_user(Role.MODERATOR)
    broken = sample_message("b")
    broken["author"] = {"id": "a2"}
    response = client.post(
        "/v1/messages",
        json={"messages": [sample_message("g1"), broken, sample_message("g2")]},
        headers=bearer(token),
    )
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == [{"index": 1, "error": "author.handle: Field required"}]
    assert all(services.messages.get(message_id) for message_id in body["ids"])


def test_the_same_message_twice_in_one_batch_is_stored_once(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.ADMIN)
    body = client.post(
        "/v1/messages", json={"messages": [sample_message("1"), sample_message("1")]}, headers=bearer(token)
    ).json()
    assert (body["accepted"], body["duplicates"]) == (1, 1)


def test_targets_resolve_to_registered_people(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    target = services.targets.create(
        name="Priya Raman",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "@Priya")],
        now=services.clock.now(),
    )
    services.session.commit()
    _, token = make_user(Role.ADMIN)
    body = client.post(
        "/v1/messages",
        json={"messages": [sample_message("1", targets=["@PRIYA", "@nobody"])]},
        headers=bearer(token),
    ).json()
    message = services.messages.get(body["ids"][0])
    assert message is not None
    assert message.target_ids == (target.id,)
    assert message.target_refs == ("@PRIYA", "@nobody")
    status = services.events.status("message", message.id)
    assert status is not None and status.target_id == target.id


def test_no_token_is_401_and_a_wrong_role_is_403(client: TestClient, make_user: MakeUser) -> None:
    assert client.post("/v1/messages", json={"messages": []}).status_code == 401
    assert client.post("/v1/messages", json={"messages": []}, headers=bearer("hus_wrong")).status_code == 401
    _, token = make_user(Role.ANALYST)
    assert client.post("/v1/messages", json={"messages": []}, headers=bearer(token)).status_code == 403


def test_more_than_a_thousand_messages_is_refused_naming_the_field(
    client: TestClient, make_user: MakeUser
) -> None:
    _, token = make_user(Role.ADMIN)
    response = client.post(
        "/v1/messages",
        json={"messages": [sample_message(str(i)) for i in range(1001)]},
        headers=bearer(token),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body.messages"


def test_the_message_schema_is_published_in_openapi(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    assert "MessageIn" in components and "AuthorIn" in components
    assert components["IngestBatch"]["properties"]["messages"]["items"] == {
        "$ref": "#/components/schemas/MessageIn"
    }
    assert set(components["MessageIn"]["required"]) >= {
        "source",
        "external_id",
        "text",
        "created_at",
        "author",
    }


def test_health_and_metrics(client: TestClient, make_user: MakeUser) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    _, token = make_user(Role.ADMIN)
    client.post("/v1/messages", json={"messages": [sample_message("1")]}, headers=bearer(token))
    metrics = client.get("/metrics").text
    assert "hustings_messages_ingested_total 1.0" in metrics
    assert "hustings_http_requests_total" in metrics
