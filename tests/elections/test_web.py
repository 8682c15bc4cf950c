"""/v1/elections and the election and guidance pages, through the app: roles, the register
imported over the API and by upload, each bad row named, and guidance for anyone signed in."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.clock import FixedClock
from tests.conftest import MakeUser, bearer
from tests.elections.conftest import FIRST, IN_PERIOD, KELBRIDGE, NEWER, RIVERSIDE, row, with_row

ELECTION = {
    "id": KELBRIDGE,
    "name": "Kelbridge local election",
    "notice_of_election": "2028-03-27",
    "close_of_nominations": "2028-04-04",
    "count_day": "2028-05-05",
}


@pytest.fixture
def admin(make_user: MakeUser, clock: FixedClock) -> dict[str, str]:
    clock.at = IN_PERIOD
    _, token = make_user(Role.ADMIN)
    return bearer(token)


def csv_post(client: TestClient, headers: dict[str, str], text: str) -> Any:
    return client.post(
        f"/v1/elections/{KELBRIDGE}/candidates",
        content=text.encode(),
        headers=headers | {"content-type": "text/csv"},
    )


def test_an_admin_creates_an_election_and_imports_its_register(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post("/v1/elections", json=ELECTION, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["polling_day"] == "2028-05-04" and body["protection_days"] == 14
    assert body["period_start"] == "2028-03-26T23:00:00+00:00" and body["phase"] == "protected"
    assert client.post("/v1/elections", json=ELECTION, headers=admin).status_code == 409
    first = csv_post(client, admin, FIRST)
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["rejected"]) == (11, [])
    again = csv_post(client, admin, FIRST).json()
    assert (again["unchanged"], again["events"]) == (11, 0)
    newer = csv_post(client, admin, NEWER).json()
    assert (newer["created"], newer["updated"], newer["withdrawn"]) == (1, 2, 1)
    riverside = client.get(
        f"/v1/elections/{KELBRIDGE}/candidates", params={"ballot": RIVERSIDE}, headers=admin
    )
    names = {c["name"]: c for c in riverside.json()}
    assert set(names) == {"Aisha Okafor", "Daniel Marsh", "Harriet Cole", "O'Brien, Siobhan"}
    assert names["Harriet Cole"]["party_name"] == "Conservative Party"
    election = client.get(f"/v1/elections/{KELBRIDGE}", headers=admin).json()
    assert len(election["ballots"]) == 4


def test_a_bad_row_is_named_in_the_answer_and_the_good_ones_stored(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post("/v1/elections", json=ELECTION, headers=admin)
    bad = row(
        FIRST,
        person_id="80001",
        person_name="Bad",
        election_id=KELBRIDGE,
        ballot_paper_id=RIVERSIDE,
        post_label="Riverside",
        blue_sky_url="https://bsky.app/profile/",
    )
    answer = csv_post(client, admin, with_row(FIRST, bad)).json()
    assert answer["created"] == 11
    assert answer["rejected"] == [
        {
            "line": 13,
            "column": "blue_sky_url",
            "error": "'https://bsky.app/profile/' is not a Bluesky profile address ending in a handle or a DID",
        }
    ]
    refused = client.post(f"/v1/elections/{KELBRIDGE}/candidates", json={}, headers=admin)
    assert refused.status_code == 422 and "text/csv" in refused.json()["detail"]
    header_only = csv_post(client, admin, "name,handle\n")
    assert header_only.status_code == 422 and "header: missing person_id" in header_only.json()["detail"]


def test_bad_election_input_names_the_field(client: TestClient, admin: dict[str, str]) -> None:
    wrong_day = client.post("/v1/elections", json=ELECTION | {"polling_day": "2028-05-05"}, headers=admin)
    assert wrong_day.status_code == 422 and wrong_day.json()["detail"].startswith("polling_day:")
    bad_id = client.post("/v1/elections", json=ELECTION | {"id": "Kelbridge 2028"}, headers=admin)
    assert bad_id.status_code == 422 and bad_id.json()["detail"].startswith("id:")
    client.post("/v1/elections", json=ELECTION, headers=admin)
    changed = client.patch(
        f"/v1/elections/{KELBRIDGE}", json={"protection_days": 21, "reason": "recount"}, headers=admin
    )
    assert changed.status_code == 200 and changed.json()["period_end"] == "2028-05-26T23:00:00+00:00"
    assert client.get("/v1/elections/parl.2029-05-03", headers=admin).status_code == 404


def test_a_moderator_reads_elections_and_a_target_does_not(
    client: TestClient, admin: dict[str, str], make_user: MakeUser
) -> None:
    client.post("/v1/elections", json=ELECTION, headers=admin)
    _, moderator = make_user(Role.MODERATOR)
    assert [e["id"] for e in client.get("/v1/elections", headers=bearer(moderator)).json()] == [KELBRIDGE]
    assert client.post("/v1/elections", json=ELECTION, headers=bearer(moderator)).status_code == 403
    _, target = make_user(Role.TARGET)
    assert client.get("/v1/elections", headers=bearer(target)).status_code == 403


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_pages_create_an_election_and_show_the_upload_with_its_bad_rows(
    client: TestClient, admin: dict[str, str]
) -> None:
    html = admin | {"accept": "text/html"}
    page = client.get("/elections", headers=html)
    assert page.status_code == 200 and "Create an election" in page.text
    form = {
        "election_id": KELBRIDGE,
        "name": "Kelbridge <local> election",
        "notice_of_election": "2028-03-27",
        "close_of_nominations": "2028-04-04",
        "count_day": "2028-05-05",
    }
    created = client.post("/elections", data=form, headers=html, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"].startswith(f"/elections/{KELBRIDGE}?")
    detail = client.get(created.headers["location"], headers=html)
    assert "Kelbridge &lt;local&gt; election created." in detail.text and "protected" in detail.text
    again = client.post("/elections", data=form, headers=html, follow_redirects=False)
    assert again.status_code == 303 and "error=" in again.headers["location"]
    bad = row(
        FIRST,
        person_id="x1",
        person_name="Bad",
        election_id=KELBRIDGE,
        ballot_paper_id=RIVERSIDE,
        post_label="Riverside",
    )
    uploaded = client.post(
        f"/elections/{KELBRIDGE}/import",
        files={"file": ("candidates.csv", with_row(FIRST, bad).encode(), "text/csv")},
        headers=html,
    )
    assert uploaded.status_code == 200
    assert "Rows left out" in uploaded.text and "<td>13</td><td><code>person_id</code></td>" in uploaded.text
    assert "Daniel Marsh" in uploaded.text and "mastodon @danmarsh@mastodon.scot" in uploaded.text
    not_csv = client.post(
        f"/elections/{KELBRIDGE}/import", files={"file": ("x.csv", b"\xff\xfe", "text/csv")}, headers=html
    )
    assert not_csv.status_code == 422 and "not UTF-8 text" in not_csv.text


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_guidance_is_there_for_anyone_signed_in(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.TARGET)
    html = bearer(token) | {"accept": "text/html"}
    index = client.get("/guidance", headers=html)
    assert index.status_code == 200 and 'href="/guidance/threats"' in index.text
    threats = client.get("/guidance/threats", headers=html)
    assert threats.status_code == 200
    assert "<h1>What to do about a threat</h1>" in threats.text and "not legal advice" in threats.text
    assert "Checked against these sources on 1 Dec 2026" in threats.text
    assert 'href="https://www.legislation.gov.uk/ukpga/2023/50/section/181"' in threats.text
    assert client.get("/guidance/nope", headers=html).status_code == 404
    assert (
        client.get("/guidance/threats", headers={"accept": "text/html"}, follow_redirects=False).status_code
        == 303
    )
