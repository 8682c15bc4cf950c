"""The complaint pages and /v1/complaints through the app, on SQLite and PostgreSQL: the public
form with its CSRF token and reference number, an officer acknowledging and assessing, a
conflicted investigator refused, break glass and the oversight report, and each party's cases
invisible to another party."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.complaints.model import Viewer
from hustings.services import Services
from tests.conftest import MakeUser, bearer, sample_message

PARTY = "example-party"
ADMIN = Viewer("admin", frozenset({Role.ADMIN}), None)


def form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def file_by_form(client: TestClient, **changes: str) -> str:
    page = client.get("/complaints/new")
    assert page.status_code == 200
    form = {
        "csrf_token": form_token(page.text),
        "party": PARTY,
        "category": "harassment",
        "what": "He replied to every post of mine with abuse.",
        "where": "online",
        "links": "https://social.example/p/1\nhttps://social.example/p/2",
        "when": "2026-11-20",
        "name": "Ann Example",
        "email": "ann@example.org",
        "respondent_member": "M1001",
        **changes,
    }
    filed = client.post("/complaints/new", data=form)
    assert filed.status_code == 200, filed.text
    found = re.search(r'class="reference">(C-[0-9A-F]{8})<', filed.text)
    assert found is not None, filed.text
    return found[1]


def team(
    services: Services, make_user: MakeUser, *roles: Role, party: str = PARTY
) -> tuple[str, dict[str, str]]:
    user, token = make_user(*roles)
    services.complaints.enrol(user.id, party, by=ADMIN)
    return user.id, bearer(token)


def step(client: TestClient, ref: str, headers: dict[str, str], **form: str) -> Any:
    answer = client.post(f"/complaints/cases/{ref}/step", data=form, headers=headers, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_the_public_form_needs_its_csrf_token_and_gives_a_reference(client: TestClient) -> None:
    refused = client.post("/complaints/new", data={"party": PARTY, "category": "harassment", "what": "x"})
    assert refused.status_code == 403 and "csrf_token" in refused.text
    ref = file_by_form(client)
    assert ref.startswith("C-")
    missing = client.post(
        "/complaints/new",
        data={
            "csrf_token": form_token(client.get("/complaints/new").text),
            "party": PARTY,
            "category": "discrimination",
            "what": "x",
            "anonymous": "yes",
        },
    )
    assert missing.status_code == 422 and "characteristic" in missing.text


def test_an_officer_acknowledges_and_assesses_and_a_conflicted_investigator_is_refused(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    ref = file_by_form(client)
    officer_id, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    conflicted_id, conflicted = team(services, make_user, Role.INVESTIGATOR)
    listed = client.get("/complaints", headers=officer)
    assert ref in listed.text
    declared = client.post(
        "/complaints/conflicts",
        data={"member": "M1001", "note": "same local party"},
        headers=conflicted,
        follow_redirects=False,
    )
    assert declared.status_code == 303
    assert "error" not in step(client, ref, officer, action="acknowledge")
    assert "error" not in step(
        client,
        ref,
        officer,
        action="assess",
        assessment="investigation",
        reason="A pattern of abuse.",
        clauses="1.2",
        evidence="the two posts",
    )
    refused = step(client, ref, officer, action="assign", handler=conflicted_id, role="investigator")
    assert "conflict+of+interest" in refused
    page = client.get(refused, headers=officer)
    assert "declared a conflict of interest here (same local party)" in page.text
    case = client.get(f"/v1/complaints/{ref}", headers=officer).json()
    assert case["state"] == "investigation" and case["team"] == [
        {"user_id": officer_id, "role": "case_officer"}
    ]
    assert [e["kind"] for e in case["history"]] == [
        "complaint.filed",
        "complaint.acknowledged",
        "complaint.assessed",
    ]
    assert case["history"][2]["payload"]["clauses"] == ["1.2"]


def test_a_senior_officer_off_the_case_gives_a_reason_and_oversight_sees_it(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    ref = file_by_form(client)
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    senior_id, senior = team(services, make_user, Role.COMPLAINTS_OFFICER)
    _, oversight = team(services, make_user, Role.OVERSIGHT)
    step(client, ref, officer, action="acknowledge")
    asked = client.get(f"/complaints/cases/{ref}", headers=senior)
    assert asked.status_code == 403 and "give a reason" in asked.text
    assert client.get(f"/v1/complaints/{ref}", headers=senior).status_code == 403
    opened = client.post(
        f"/complaints/cases/{ref}/open",
        data={"reason": "The leader asked."},
        headers=senior,
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert client.get(f"/complaints/cases/{ref}", headers=senior).status_code == 200
    report = client.get("/complaints/oversight", headers=oversight)
    senior_name = services.users.get(senior_id)
    assert senior_name is not None and senior_name.name in report.text and "The leader asked." in report.text
    assert client.get("/complaints/oversight", headers=senior).status_code == 403


def test_another_partys_users_see_none_of_its_cases(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    ref = file_by_form(client)
    _, stranger = team(services, make_user, Role.COMPLAINTS_OFFICER, Role.OVERSIGHT, party="other-party")
    assert client.get("/v1/complaints", headers=stranger).json() == []
    assert client.get(f"/v1/complaints/{ref}", headers=stranger).status_code == 404
    assert client.get(f"/complaints/cases/{ref}", headers=stranger).status_code == 404
    assert ref not in client.get("/complaints/oversight", headers=stranger).text
    _, mine = team(services, make_user, Role.COMPLAINTS_OFFICER)
    assert [c["reference"] for c in client.get("/v1/complaints", headers=mine).json()] == [ref]


def test_staff_file_a_phone_complaint_and_read_the_figures(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    for _ in range(5):
        made = client.post(
            "/v1/complaints",
            json={"category": "bullying", "what": "Shouted at a volunteer.", "place": "the branch meeting"},
            headers=officer,
        )
        assert made.status_code == 201, made.text
    quarter = services.clock.now()
    figures = client.get(
        f"/v1/complaints/figures/{quarter.year}-Q{(quarter.month - 1) // 3 + 1}", headers=officer
    )
    assert figures.status_code == 200
    assert figures.json()["by_source"] == {"phone": 5} and figures.json()["by_category"] == {"bullying": 5}
    _, nobody = make_user(Role.COMPLAINTS_OFFICER)
    assert (
        client.post(
            "/v1/complaints", json={"category": "bullying", "what": "x"}, headers=bearer(nobody)
        ).status_code
        == 422
    )


def test_a_party_admin_enrols_into_their_party_only(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, padmin = team(services, make_user, Role.PARTY_ADMIN)
    assert (
        client.post(
            "/v1/complaints/handlers", json={"user_id": "u1", "party": PARTY}, headers=padmin
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/v1/complaints/handlers", json={"user_id": "u1", "party": "other-party"}, headers=padmin
        ).status_code
        == 403
    )


def test_a_panel_departs_from_the_sanction_guidance_only_with_a_reason(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    ref = file_by_form(client)
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    panel_id, panel = team(services, make_user, Role.PANEL_MEMBER)
    grounds = {"reason": "Proved on the posts.", "clauses": "1.2", "evidence": "the two posts"}
    step(client, ref, officer, action="acknowledge")
    step(client, ref, officer, action="assess", assessment="investigation", **grounds)
    step(client, ref, officer, action="charge", **grounds)
    step(client, ref, officer, action="hearing", panel=panel_id)
    page = client.get(f"/complaints/cases/{ref}", headers=panel)
    assert "Sanction guidance for harassment" in page.text
    decide = {"action": "decide", "proved": "yes", "severity": "low", "sanction": "expulsion", **grounds}
    refused = step(client, ref, panel, **decide)
    assert "outside+the+guidance" in refused
    assert "error" not in step(client, ref, panel, **decide, departure="A repeat of a warned offence.")
    history = client.get(f"/v1/complaints/{ref}", headers=panel).json()["history"]
    assert history[-1]["payload"]["departure"] == "A repeat of a warned offence."


def test_a_moderator_raises_a_party_complaint_from_a_stored_message(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    (message_id,) = services.ingest(
        [sample_message("c1", text="You will regret standing here.")], actor="system"
    ).ids
    _, moderator = make_user(Role.MODERATOR)
    page = client.get("/complaints/raise", params={"message": message_id}, headers=bearer(moderator))
    assert page.status_code == 200 and "You will regret standing here." in page.text
    filed = client.post(
        "/complaints/raise",
        data={
            "message": message_id,
            "party": PARTY,
            "category": "intimidation",
            "what": "A threat.",
            "respondent_member": "M2002",
        },
        headers=bearer(moderator),
    )
    assert filed.status_code == 200, filed.text
    found = re.search(r'class="reference">(C-[0-9A-F]{8})<', filed.text)
    assert found is not None
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    case = client.get(f"/v1/complaints/{found[1]}", headers=officer).json()
    assert (case["message_ids"], case["respondent_member"]) == ([message_id], "M2002")
    assert case["history"][0]["payload"]["source"] == "moderation"
    missing = client.get("/complaints/raise", params={"message": "nope"}, headers=bearer(moderator))
    assert missing.status_code == 404
