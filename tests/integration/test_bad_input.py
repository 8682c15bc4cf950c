"""Bad input over HTTP, on SQLite and PostgreSQL: each bad message or value is named, the good
data beside it is stored, and nothing answers 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.services import Services
from tests.conftest import MakeUser, bearer, sample_message

NUL = "\x00"


def _ingest(client: TestClient, token: str, *messages: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/messages", json={"messages": list(messages)}, headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("text", {"text": f"you will{NUL} regret it"}),
        ("external_id", {"external_id": f"n{NUL}1"}),
        ("author.handle", {"author": {"id": "a9", "handle": f"@bad{NUL}actor"}}),
        ("author.display_name", {"author": {"id": "a9", "handle": "@x", "display_name": NUL}}),
        ("targets.0", {"targets": [f"@priya{NUL}"]}),
        ("in_reply_to", {"in_reply_to": f"1{NUL}"}),
        ("url", {"url": f"https://example.org/{NUL}"}),
    ],
)
def test_a_nul_character_in_one_message_is_named_and_its_neighbours_stored(
    client: TestClient, make_user: MakeUser, services: Services, field: str, overrides: dict[str, Any]
) -> None:
    _, token = make_user(Role.ADMIN)
    bad = sample_message("bad") | overrides
    body = _ingest(client, token, sample_message("g1"), bad, sample_message("g2"))
    assert body["accepted"] == 2
    assert len(body["rejected"]) == 1
    rejected = body["rejected"][0]
    assert rejected["index"] == 1
    assert rejected["error"].startswith(f"{field}: ") and "NUL" in rejected["error"], rejected
    assert all(services.messages.get(message_id) for message_id in body["ids"])


@pytest.mark.parametrize("value", [1715000000, 1715000000.5, "1715000000", True])
def test_a_created_at_that_is_not_an_iso_date_is_refused_not_read_as_seconds(
    client: TestClient, make_user: MakeUser, value: object
) -> None:
    _, token = make_user(Role.ADMIN)
    author = {"id": "a1", "handle": "@voter", "created_at": value}
    body = _ingest(client, token, sample_message("1", created_at=value), sample_message("2", author=author))
    assert body["accepted"] == 0
    errors = {item["index"]: item["error"] for item in body["rejected"]}
    assert errors[0].startswith("created_at: ") and "ISO 8601" in errors[0], errors
    assert errors[1].startswith("author.created_at: ") and "ISO 8601" in errors[1], errors


def test_a_date_that_cannot_be_held_in_utc_is_named(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.ADMIN)
    body = _ingest(
        client,
        token,
        sample_message("1", created_at="0001-01-01T00:00:00+05:00"),
        sample_message("2", created_at="9999-12-31T23:59:59-05:00"),
        sample_message("3"),
    )
    assert body["accepted"] == 1
    assert [item["index"] for item in body["rejected"]] == [0, 1]
    assert all(item["error"].startswith("created_at: ") for item in body["rejected"]), body


def test_a_follower_count_too_big_to_store_is_named(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.ADMIN)
    huge = {"id": "a1", "handle": "@voter", "followers": 2**63}
    body = _ingest(client, token, sample_message("1", author=huge), sample_message("2"))
    assert body["accepted"] == 1
    assert body["rejected"][0]["index"] == 0
    assert body["rejected"][0]["error"].startswith("author.followers: "), body


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/queues/unreviewed/items?offset=9223372036854775808", "query.offset"),
        ("/v1/queues/unreviewed/items?offset=-1", "query.offset"),
        ("/v1/queues/unreviewed/items?limit=9223372036854775808", "query.limit"),
        ("/v1/targets/t_x/inbox?offset=9223372036854775808", "query.offset"),
        ("/v1/targets/t_x/inbox?limit=0", "query.limit"),
    ],
)
def test_integer_parameters_out_of_bounds_are_422_naming_them(
    client: TestClient, make_user: MakeUser, path: str, field: str
) -> None:
    _, token = make_user(Role.ADMIN)
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 422, response.text
    assert [item["field"] for item in response.json()["detail"]] == [field]


def test_the_largest_offset_allowed_is_answered(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.ADMIN)
    offset = client.get("/openapi.json").json()["paths"]["/v1/queues/{name}/items"]["get"]["parameters"]
    maximum = next(p["schema"]["maximum"] for p in offset if p["name"] == "offset")
    response = client.get(f"/v1/queues/unreviewed/items?offset={maximum}", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == []


def _integers(schema: dict[str, Any], node: object, where: str, seen: set[str]) -> Iterator[tuple[str, Any]]:
    """Every integer in a request schema, following $refs (each component once)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from _integers(schema, schema["components"]["schemas"][name], name, seen)
            return
        if node.get("type") == "integer":
            yield where, node
        for key, value in node.items():
            label = (
                f"{where}.{key}" if key not in {"properties", "anyOf", "items", "allOf", "oneOf"} else where
            )
            yield from _integers(schema, value, label, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _integers(schema, value, where, seen)


def test_every_integer_parameter_and_body_field_has_bounds(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    unbounded = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            inputs = [
                (f"{parameter['in']}.{parameter['name']}", parameter["schema"])
                for parameter in operation.get("parameters", [])
            ]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                inputs.append(("body", content["schema"]))
            for name, node in inputs:
                for where, integer in _integers(schema, node, name, set()):
                    if not {"minimum", "maximum"} <= set(integer):
                        unbounded.append(f"{method.upper()} {path} {where}")
    assert unbounded == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/messages/m_a%00b", "path"),
        ("/v1/items/m_a%00b", "path"),
        ("/v1/incidents?target=t_%00", "query.target"),
    ],
)
def test_a_nul_character_in_the_path_or_query_is_422_naming_where(
    client: TestClient, make_user: MakeUser, path: str, field: str
) -> None:
    _, token = make_user(Role.ADMIN)
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == field
    assert "NUL" in response.json()["detail"][0]["error"]


def test_a_nul_character_in_a_json_body_is_422_naming_the_field(
    client: TestClient, make_user: MakeUser
) -> None:
    _, token = make_user(Role.ADMIN)
    message_id = _ingest(client, token, sample_message("1"))["ids"][0]
    response = client.post(
        "/v1/reports",
        json={"message_id": message_id, "category": "threat", "note": f"see{NUL}this"},
        headers=bearer(token),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {"field": "body.note", "error": "contains a NUL character (\\u0000), which cannot be stored"}
    ]
    fine = client.post(
        "/v1/reports",
        json={"message_id": message_id, "category": "threat", "note": "see this"},
        headers=bearer(token),
    )
    assert fine.status_code == 201, fine.text


def test_a_nul_byte_in_one_row_of_a_csv_upload_is_named_by_line_and_the_rest_added(
    client: TestClient, make_user: MakeUser
) -> None:
    _, token = make_user(Role.ADMIN)
    target = client.post(
        "/v1/targets", json={"name": "Priya Raman", "role": "candidate"}, headers=bearer(token)
    )
    assert target.status_code == 201, target.text
    base = f"/v1/targets/{target.json()['id']}/controls/blocked"
    response = client.post(
        base + ".csv",
        content=b"platform,handle,note\nx,@bad\x00actor,\nx,@troll,\nx,@other,nul\x00note\n",
        headers=bearer(token) | {"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 1
    assert [(p["line"], p["error"].split(":")[0]) for p in response.json()["problems"]] == [
        (2, "handle"),
        (4, "note"),
    ]
    assert [entry["handle"] for entry in client.get(base, headers=bearer(token)).json()] == ["troll"]


def test_a_nul_character_in_a_form_field_is_422_naming_it(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.ADMIN)
    response = client.post(
        "/targets",
        content=b"name=Priya%00Raman&role=candidate",
        headers=bearer(token) | {"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "body.name"
