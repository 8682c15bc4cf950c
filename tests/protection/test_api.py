"""The protection API: registering targets and delegates, role scoping (a delegate sees only
their target; anything else is 404), incidents, the shield, controls with CSV, the safe inbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hustings.auth.model import Role
from hustings.messages.model import message_id
from hustings.moderation.events import REPORT_FILED
from tests.conftest import T0, MakeUser, bearer
from tests.protection.conftest import message, pile_on

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def register(client: Any, admin: str, name: str, handle: str, **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/targets",
        json={
            "name": name,
            "role": "councillor",
            "party": "Green",
            "constituency": "Riverside ward",
            "handles": [{"platform": "x", "handle": f"@{handle}"}],
            **extra,
        },
        headers=bearer(admin),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def delegate_for(client: Any, admin: str, target_id: str, name: str) -> str:
    response = client.post(f"/v1/targets/{target_id}/delegates", json={"name": name}, headers=bearer(admin))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["roles"] == ["delegate"]
    return str(body["token"])


def test_a_delegate_sees_only_their_target(protected_client: Any, make_user: MakeUser) -> None:
    _, admin = make_user(Role.ADMIN)
    aisha = register(protected_client, admin, "Aisha Okafor", "aisha")
    tom = register(protected_client, admin, "Tom Whitlock", "tom")
    token = delegate_for(protected_client, admin, aisha["id"], "dan")
    h = bearer(token)
    listed = protected_client.get("/v1/targets", headers=h).json()
    assert [t["id"] for t in listed] == [aisha["id"]]
    assert protected_client.get(f"/v1/targets/{aisha['id']}", headers=h).status_code == 200
    for path in (
        f"/v1/targets/{tom['id']}",
        f"/v1/targets/{tom['id']}/inbox",
        f"/v1/targets/{tom['id']}/shield",
        f"/v1/targets/{tom['id']}/controls",
        f"/v1/targets/{tom['id']}/bundle",
        f"/v1/incidents?target={tom['id']}",
    ):
        assert protected_client.get(path, headers=h).status_code == 404, path
    assert protected_client.post(f"/v1/targets/{tom['id']}/shield", json={}, headers=h).status_code == 404
    # An admin sees both.
    assert len(protected_client.get("/v1/targets", headers=bearer(admin)).json()) == 2


def test_a_delegate_cannot_see_another_targets_incident(protected_client: Any, make_user: MakeUser) -> None:
    _, admin = make_user(Role.ADMIN)
    _, ingester = make_user(Role.MODERATOR)
    aisha = register(protected_client, admin, "Aisha Okafor", "aisha")
    tom = register(protected_client, admin, "Tom Whitlock", "tom")
    mine = delegate_for(protected_client, admin, aisha["id"], "dan")
    response = protected_client.post(
        "/v1/messages", json={"messages": pile_on(T0, 30, handle="tom")}, headers=bearer(ingester)
    )
    assert response.json()["accepted"] == 30
    (incident,) = protected_client.get(f"/v1/incidents?target={tom['id']}", headers=bearer(admin)).json()
    assert incident["state"] == "open" and incident["messages"] == 30
    assert protected_client.get("/v1/incidents", headers=bearer(mine)).json() == []
    assert protected_client.get(f"/v1/incidents/{incident['id']}", headers=bearer(mine)).status_code == 404
    assert (
        protected_client.post(f"/v1/incidents/{incident['id']}/block-all", headers=bearer(mine)).status_code
        == 404
    )
    # Moderators see it (they raise the priority of the target's reports from it).
    _, moderator = make_user(Role.MODERATOR)
    assert (
        protected_client.get(f"/v1/incidents/{incident['id']}", headers=bearer(moderator)).status_code == 200
    )


def test_registering_names_the_bad_field(protected_client: Any, make_user: MakeUser) -> None:
    _, admin = make_user(Role.ADMIN)
    response = protected_client.post(
        "/v1/targets",
        json={"name": "X", "role": "candidate", "handles": [{"platform": "Not a platform!", "handle": "a"}]},
        headers=bearer(admin),
    )
    assert response.status_code == 422 and "handles.0.platform" in response.json()["detail"]
    response = protected_client.post(
        "/v1/targets", json={"name": "X", "role": "emperor"}, headers=bearer(admin)
    )
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "body.role"


def test_shield_on_extend_off_and_recap(protected_client: Any, make_user: MakeUser) -> None:
    _, admin = make_user(Role.ADMIN)
    aisha = register(protected_client, admin, "Aisha Okafor", "aisha")
    h = bearer(delegate_for(protected_client, admin, aisha["id"], "dan"))
    base = f"/v1/targets/{aisha['id']}/shield"
    on = protected_client.post(base, json={}, headers=h)
    assert on.status_code == 201 and on.json()["on"] is True
    assert on.json()["until"] == (T0 + timedelta(days=7)).isoformat()
    assert protected_client.post(base, json={}, headers=h).status_code == 409
    extended = protected_client.post(f"{base}/extend", json={"days": 3}, headers=h).json()
    assert extended["until"] == (T0 + timedelta(days=10)).isoformat() and extended["extended"] == 1
    assert protected_client.post(f"{base}/extend", json={"days": 99}, headers=h).status_code == 422
    off = protected_client.delete(base, headers=h).json()
    assert off["on"] is False and off["last_recap"]["held"] == 0


def test_csv_import_and_export_of_the_block_list(protected_client: Any, make_user: MakeUser) -> None:
    _, admin = make_user(Role.ADMIN)
    aisha = register(protected_client, admin, "Aisha Okafor", "aisha")
    h = bearer(delegate_for(protected_client, admin, aisha["id"], "dan"))
    base = f"/v1/targets/{aisha['id']}/controls"
    body = "platform,handle,note\nx,@troll,abuse\nnot ok!,x\nbluesky,someone.bsky.social\n"
    response = protected_client.post(
        f"{base}/blocked.csv", content=body.encode(), headers=h | {"content-type": "text/csv"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "added": 2,
        "problems": [
            {
                "line": 3,
                "error": "platform: 'not ok!' is not a platform name (lower-case letters, digits, . _ -)",
            }
        ],
    }
    exported = protected_client.get(f"{base}/blocked.csv", headers=h)
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0] == "platform,handle,note,added_at"
    assert [line.split(",")[:2] for line in lines[1:]] == [["bluesky", "someone.bsky.social"], ["x", "troll"]]
    assert protected_client.delete(f"{base}/blocked/x/troll", headers=h).json()["blocked"] == [
        "bluesky:someone.bsky.social"
    ]
    assert protected_client.get(f"{base}/friends.csv", headers=h).status_code == 404


def test_the_safe_inbox_blurs_hostile_holds_for_review_and_reports(
    protected_client: Any, make_user: MakeUser, services: Any
) -> None:
    _, admin = make_user(Role.ADMIN)
    _, ingester = make_user(Role.MODERATOR)
    aisha = register(protected_client, admin, "Aisha Okafor", "aisha")
    h = bearer(delegate_for(protected_client, admin, aisha["id"], "dan"))
    base = f"/v1/targets/{aisha['id']}"
    protected_client.patch(f"{base}/controls", json={"sensitivity": "high"}, headers=h)
    batch = [
        message("1", "Thanks for the library campaign", at=T0, author="fan", handle="aisha"),
        message("2", "You vermin, resign", at=T0, author="angry", handle="aisha"),
    ]
    protected_client.post("/v1/messages", json={"messages": batch}, headers=bearer(ingester))
    inbox = protected_client.get(f"{base}/inbox", headers=h).json()
    by_id = {m["message_id"]: m for m in inbox["messages"]}
    hostile = by_id[message_id("x", "2")]
    assert hostile["blurred"] is True and hostile["hostile"] == ["abuse"]
    assert by_id[message_id("x", "1")]["blurred"] is False
    assert inbox["counts"]["hostile"] == 1
    # With the shield on, a new account is held, then released by the delegate.
    protected_client.post(f"{base}/shield", json={}, headers=h)
    protected_client.post(
        "/v1/messages",
        json={"messages": [message("3", "hi", at=T0, author="fresh", new=True, handle="aisha")]},
        headers=bearer(ingester),
    )
    held = protected_client.get(f"{base}/inbox?folder=held", headers=h).json()["messages"]
    assert [m["message_id"] for m in held] == [message_id("x", "3")]
    assert (
        protected_client.post(f"{base}/inbox/{held[0]['message_id']}/release", headers=h).json()["state"]
        == "released"
    )
    # Report one message, and add it to the evidence bundle.
    reported = protected_client.post(f"{base}/inbox/{hostile['message_id']}/report", json={}, headers=h)
    assert reported.status_code == 201
    kinds = [e.kind for e in services.events.events_for("message", hostile["message_id"])]
    assert REPORT_FILED in kinds
    report = next(
        e
        for e in services.events.events_for("message", hostile["message_id"])
        if e.kind == REPORT_FILED and e.payload["reporter_kind"] == "delegate"
    )
    assert report.payload["category"] == "abuse"
    bundle = protected_client.post(
        f"{base}/bundle", json={"message_ids": [hostile["message_id"]], "note": "for the police"}, headers=h
    ).json()
    assert [(i["message_id"], i["note"]) for i in bundle["items"]] == [
        (hostile["message_id"], "for the police")
    ]
    assert (
        protected_client.post(f"{base}/bundle", json={"message_ids": ["m_nope"]}, headers=h).status_code
        == 404
    )
    digest = protected_client.get(f"{base}/digest", headers=h).json()
    assert digest["shield"]["on"] is True and digest["recap"]["held"] == 1


def test_acting_on_a_whole_incident(protected_client: Any, make_user: MakeUser, services: Any) -> None:
    _, admin = make_user(Role.ADMIN)
    _, ingester = make_user(Role.MODERATOR)
    aisha = register(protected_client, admin, "Aisha Okafor", "aisha")
    h = bearer(delegate_for(protected_client, admin, aisha["id"], "dan"))
    protected_client.post(
        "/v1/messages", json={"messages": pile_on(T0, 25, handle="aisha")}, headers=bearer(ingester)
    )
    (incident,) = protected_client.get("/v1/incidents", headers=h).json()
    reported = protected_client.post(f"/v1/incidents/{incident['id']}/report-all", json={}, headers=h).json()
    assert reported["count"] == 25
    again = protected_client.post(f"/v1/incidents/{incident['id']}/report-all", json={}, headers=h).json()
    assert again["count"] == 0  # each message reported once
    blocked = protected_client.post(f"/v1/incidents/{incident['id']}/block-all", headers=h).json()
    assert blocked["count"] == 25
    controls = protected_client.get(f"/v1/targets/{aisha['id']}/controls", headers=h).json()
    assert len(controls["blocked"]) == 25 and "x:pacct0" in controls["blocked"]
    timeline = protected_client.get(f"/v1/incidents/{incident['id']}", headers=h).json()["timeline"]
    acted = [e["note"] for e in timeline if e["kind"] == "incident.acted"]
    assert acted == ["report all: 25", "block all: 25"]  # the repeat at the same moment is logged once


def test_pages_show_only_notices_we_signed(protected_client: Any, make_user: MakeUser) -> None:
    _, admin = make_user(Role.ADMIN)
    aisha = register(protected_client, admin, "Aisha Okafor", "aisha")
    h = bearer(admin) | {"accept": "text/html"}
    forged = protected_client.get(f"/inbox/{aisha['id']}?notice=Call+0800+to+unlock&sig=0", headers=h)
    assert forged.status_code == 200 and "Call 0800" not in forged.text
    moved = protected_client.post(
        f"/inbox/{aisha['id']}/shield", data={"action": "on"}, headers=h, follow_redirects=False
    )
    assert moved.status_code == 303
    shown = protected_client.get(moved.headers["location"], headers=h)
    assert "Shield on until" in shown.text
