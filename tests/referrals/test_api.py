"""Referrals over HTTP, on SQLite and PostgreSQL: the lifecycle, packs, custody and who may see them."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.events import Event
from hustings.referrals.pack import verify_pack
from hustings.services import Services
from tests.conftest import MakeUser, bearer
from tests.referrals.conftest import Seeded

ADMITTED = (Role.POLICE_LIAISON, Role.MODERATOR, Role.ADMIN)
REFUSED = tuple(role for role in Role if role not in ADMITTED)


def open_referral(client: TestClient, token: str, seeded: Seeded) -> dict[str, object]:
    response = client.post(
        "/v1/referrals",
        json={"message_ids": [seeded.threat, seeded.abuse], "force": "Fenshire Police", "note": "pile-on"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_liaison_refers_builds_a_pack_sends_it_and_records_the_outcome(
    client: TestClient, make_user: MakeUser, seeded: Seeded, services: Services, clock: FixedClock
) -> None:
    _, token = make_user(Role.POLICE_LIAISON)
    referral = open_referral(client, token, seeded)
    assert referral["urgent"] is True and referral["state"] == "draft"
    rid = referral["id"]

    detail = client.get(f"/v1/referrals/{rid}", headers=bearer(token)).json()
    assert detail["guidance"].startswith("Call 999")
    laws = [hint["legislation"] for hint in detail["offence_hints"]]
    assert "Online Safety Act 2023 s.181" in laws
    assert "Protection from Harassment Act 1997 s.2" in laws  # two messages, one author, one target
    assert "not legal advice" in detail["disclaimer"]

    pack = client.post(f"/v1/referrals/{rid}/packs", headers=bearer(token))
    assert pack.status_code == 201, pack.text
    pack_id = pack.json()["pack_id"]
    clock.advance(hours=2)
    sent = client.post(
        f"/v1/referrals/{rid}/sent",
        json={
            "force": "Metropolitan Police",
            "unit": "Parliamentary Liaison and Investigation Team (PLaIT)",
            "via": "secure email",
        },
        headers=bearer(token),
    ).json()
    assert sent["state"] == "sent" and sent["unit"].startswith("Parliamentary")
    assert sent["hours_from_first_report_to_referral"] == pytest.approx(
        2.0
    )  # first report at T0, sent at T0 + 2 h
    updated = client.post(
        f"/v1/referrals/{rid}/status",
        json={"police_status": "crime_recorded", "crime_reference": "CAD 4242/07MAY26"},
        headers=bearer(token),
    ).json()
    assert updated["crime_reference"] == "CAD 4242/07MAY26" and updated["state"] == "with_police"
    closed = client.post(
        f"/v1/referrals/{rid}/outcome", json={"outcome": "charged"}, headers=bearer(token)
    ).json()
    assert closed["state"] == "closed" and closed["outcome"] == "charged"
    again = client.post(f"/v1/referrals/{rid}/outcome", json={"outcome": "caution"}, headers=bearer(token))
    assert again.status_code == 409

    download = client.get(f"/v1/referrals/{rid}/packs/{pack_id}", headers=bearer(token))
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    recorded = [str(e.payload["pack_sha256"]) for e in services.referrals.pack_built_events(pack_id)]
    assert verify_pack(download.content, recorded_sha256=recorded).ok
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(archive.read("evidence.pdf"))).pages
        )
        messages = json.loads(archive.read("messages.json"))
    squashed = re.sub(r"\s+", "", text)
    for message_id in (seeded.threat, seeded.abuse):
        assert re.sub(r"\s+", "", seeded.texts[message_id]) in squashed
    threat = next(m for m in messages["messages"] if m["message"]["id"] == seeded.threat)
    assert [t["id"] for t in threat["thread"]] == [seeded.criticism, seeded.abuse]  # the reply chain above it
    assert threat["assessment"]["flagged"] == ["threat"]
    assert threat["message"]["url"] == "https://x.example/ref-3"

    custody = client.get(f"/v1/referrals/{rid}", headers=bearer(token)).json()["custody"]
    actions = [link["action"] for link in custody]
    assert actions[:3] == ["created", "viewed", "pack built"]
    assert "sent to police" in actions and "exported" in actions and "outcome recorded" in actions
    exports = [row for row in services.users.access_log() if row.action == "export"]
    assert any(row.resource.endswith(pack_id) for row in exports)


def test_packs_are_stored_encrypted_outside_the_web_root(
    client: TestClient, make_user: MakeUser, seeded: Seeded, services: Services
) -> None:
    _, token = make_user(Role.MODERATOR)
    rid = open_referral(client, token, seeded)["id"]
    pack_id = client.post(f"/v1/referrals/{rid}/packs", headers=bearer(token)).json()["pack_id"]
    stored = services.settings.data_dir / "packs" / f"{pack_id}.pack"
    assert stored.is_file()
    raw = stored.read_bytes()
    assert not raw.startswith(b"PK") and b"outside your house" not in raw
    assert client.get(f"/static/../packs/{pack_id}.pack").status_code == 404


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_see_no_referral_and_no_pack(
    role: Role, client: TestClient, make_user: MakeUser, seeded: Seeded
) -> None:
    _, liaison = make_user(Role.POLICE_LIAISON)
    rid = open_referral(client, liaison, seeded)["id"]
    pack_id = client.post(f"/v1/referrals/{rid}/packs", headers=bearer(liaison)).json()["pack_id"]
    _, token = make_user(role)
    for path in (
        "/v1/referrals",
        f"/v1/referrals/{rid}",
        f"/v1/referrals/{rid}/packs/{pack_id}",
        f"/referrals/{rid}",
    ):
        assert client.get(path, headers=bearer(token) | {"accept": "application/json"}).status_code == 403, (
            path
        )
    assert client.post(f"/v1/referrals/{rid}/packs", headers=bearer(token)).status_code == 403


def test_a_pack_of_another_referral_or_an_unknown_message_is_not_found(
    client: TestClient, make_user: MakeUser, seeded: Seeded
) -> None:
    _, token = make_user(Role.POLICE_LIAISON)
    first = open_referral(client, token, seeded)["id"]
    second = open_referral(client, token, seeded)["id"]
    pack_id = client.post(f"/v1/referrals/{first}/packs", headers=bearer(token)).json()["pack_id"]
    assert client.get(f"/v1/referrals/{second}/packs/{pack_id}", headers=bearer(token)).status_code == 404
    missing = client.post("/v1/referrals", json={"message_ids": ["m_nope"]}, headers=bearer(token))
    assert missing.status_code == 404 and "m_nope" in missing.json()["detail"]
    empty = client.post("/v1/referrals", json={}, headers=bearer(token))
    assert empty.status_code == 422 and "message_ids" in empty.json()["detail"]
    bad = client.post(
        f"/v1/referrals/{first}/status", json={"police_status": "solved"}, headers=bearer(token)
    )
    assert bad.status_code == 422


def test_the_referral_page_shows_the_evidence_hints_and_custody(
    client: TestClient, make_user: MakeUser, seeded: Seeded
) -> None:
    _, token = make_user(Role.POLICE_LIAISON)
    rid = open_referral(client, token, seeded)["id"]
    page = client.get(f"/referrals/{rid}", headers=bearer(token))
    assert page.status_code == 200
    html = page.text
    assert "Call 999" in html and "not legal advice" in html
    assert "outside your house tonight" in html
    assert "Online Safety Act 2023 s.181" in html
    listing = client.get("/referrals", headers=bearer(token)).text
    assert rid in listing and "urgent" in listing


def test_a_referral_from_an_incident_or_an_evidence_bundle_takes_their_messages(
    client: TestClient, make_user: MakeUser, seeded: Seeded, services: Services, clock: FixedClock
) -> None:
    # Events written as protection writes them (hustings.protection.events).
    services.log.append(
        Event(
            kind="incident.opened",
            subject_type="incident",
            subject_id="inc_1",
            actor="system",
            occurred_at=clock.now(),
            idempotency_key="test-incident-1",
            payload={
                "target_id": "t_priya_ref",
                "message_ids": [seeded.threat, seeded.abuse],
                "severity": 0.8,
            },
        )
    )
    services.log.append(
        Event(
            kind="bundle.added",
            subject_type="bundle",
            subject_id="t_priya_ref",
            actor="user:u_delegate",
            occurred_at=clock.now(),
            idempotency_key="test-bundle-1",
            payload={"message_ids": [seeded.criticism]},
        )
    )
    services.session.commit()
    _, token = make_user(Role.POLICE_LIAISON)
    both = client.post(
        "/v1/referrals",
        json={"incident_id": "inc_1", "bundle_target_id": "t_priya_ref"},
        headers=bearer(token),
    )
    assert both.status_code == 201, both.text
    assert both.json()["message_ids"] == [seeded.threat, seeded.abuse, seeded.criticism]
    assert both.json()["incident_id"] == "inc_1"
    unknown = client.post("/v1/referrals", json={"incident_id": "inc_nope"}, headers=bearer(token))
    assert unknown.status_code == 404 and "incident_id" in unknown.json()["detail"]


def test_refer_to_police_from_an_incident_shows_what_it_refers_and_needs_no_id_typed(
    client: TestClient, make_user: MakeUser, seeded: Seeded, services: Services, clock: FixedClock
) -> None:
    services.log.append(
        Event(
            kind="incident.opened",
            subject_type="incident",
            subject_id="inc_2",
            actor="system",
            occurred_at=clock.now(),
            idempotency_key="test-incident-2",
            payload={
                "target_id": "t_priya_ref",
                "message_ids": [seeded.threat, seeded.abuse],
                "severity": 0.8,
            },
        )
    )
    services.session.commit()
    _, moderator = make_user(Role.MODERATOR)
    item = client.get(f"/console/items/{seeded.threat}", headers=bearer(moderator)).text
    assert (
        'href="/referrals?incident_id=inc_2"' in item and "Refer the pile-on (2 messages) to police" in item
    )
    assert f'href="/referrals?message_ids={seeded.threat}"' in item
    target = client.get("/targets/t_priya_ref", headers=bearer(moderator)).text
    assert 'href="/referrals?incident_id=inc_2"' in target

    _, pc = make_user(Role.POLICE_LIAISON)
    form = client.get("/referrals?incident_id=inc_2", headers=bearer(pc)).text
    referring = form.split('id="referring"')[1].split("</div>")[0]
    assert "You are referring 2 messages" in referring and "the pile-on against Priya Raman" in referring
    assert 'name="incident_id" value="inc_2"' in form and 'id="ref-incident"' not in form  # hidden, not typed
    unknown = client.get("/referrals?incident_id=inc_nope", headers=bearer(pc)).text
    assert 'id="ref-incident-error"' in unknown and "No incident" in unknown
