"""Issue 16's data protection, audit, survey, figures and joint panel through the app, on SQLite and
PostgreSQL: personal and special-category data never in the event table in the clear; the case
page shows health details to the team only; a case's JSON export is in the access log; the audit
sample and its findings; the survey link works once; the figures page, its CSV and the joint
panel's figures; subject access; the retention sweep leaves the figures as they were."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.complaints.figures import Quarter
from hustings.complaints.model import Assessment, Grounds, Recipient, Viewer
from hustings.services import Services
from hustings.storage.complaint_tables import ComplaintKeyRow
from hustings.storage.tables import EventRow
from tests.complaints.test_web import PARTY, file_by_form, step, team
from tests.conftest import MakeUser, bearer

ADMIN = Viewer("admin", frozenset({Role.ADMIN}), None)
GROUNDS = {"reason": "A pattern of abuse.", "clauses": "2.1", "evidence": "the two posts"}


def discrimination(client: TestClient) -> str:
    return file_by_form(
        client,
        category="discrimination",
        characteristic="religion or belief",
        health="Panic attacks since the abuse began.",
    )


def test_personal_data_are_sealed_in_the_database_and_health_shown_to_the_team_only(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    ref = discrimination(client)
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    _, senior = team(services, make_user, Role.COMPLAINTS_OFFICER)
    step(client, ref, officer, action="acknowledge")
    stored = json.dumps([row.payload for row in services.session.scalars(select(EventRow))])
    for secret in ("Panic attacks", "religion or belief", "Ann Example", "ann@example.org", "M1001"):
        assert secret not in stored
    assert services.session.get(ComplaintKeyRow, ref) is not None
    page = client.get(f"/complaints/cases/{ref}", headers=officer)
    assert "Panic attacks since the abuse began." in page.text and "religion or belief" in page.text
    client.post(f"/complaints/cases/{ref}/open", data={"reason": "the leader asked"}, headers=senior)
    outside = client.get(f"/complaints/cases/{ref}", headers=senior)
    assert outside.status_code == 200 and "Ann Example" in outside.text
    assert "Panic attacks" not in outside.text and "religion or belief" not in outside.text
    assert "shown only to the case team" in outside.text


def test_an_export_is_recorded_and_the_audit_sample_takes_findings(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    refs = {file_by_form(client) for _ in range(3)}
    oversight_id, oversight = team(services, make_user, Role.OVERSIGHT)
    page = client.get("/complaints/audit", headers=oversight)
    assert page.status_code == 200 and all(ref in page.text for ref in refs)
    ref = sorted(refs)[0]
    quarter = str(Quarter.of(services.clock.now()))
    answer = client.post(
        "/complaints/audit/findings",
        data={"quarter": quarter, "reference": ref, "view": "concerns", "note": "No reason at assessment."},
        headers=oversight,
        follow_redirects=False,
    )
    assert "notice" in answer.headers["location"]
    assert "No reason at assessment." in client.get(answer.headers["location"], headers=oversight).text
    exported = client.get(f"/complaints/cases/{ref}/export.json", headers=oversight)
    assert exported.status_code == 200
    assert [e["kind"] for e in exported.json()["history"]] == ["complaint.filed", "complaint.audit_finding"]
    records = services.complaints.accesses(ref)
    assert (records[-1].user_id, records[-1].action) == (oversight_id, "export")


def test_the_survey_link_works_once(client: TestClient, make_user: MakeUser, services: Services) -> None:
    ref = file_by_form(client)
    officer_id, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    step(client, ref, officer, action="acknowledge")
    step(
        client, ref, officer, action="assess", assessment="no_further_action", **{**GROUNDS, "clauses": "1.2"}
    )
    case = services.complaints.open(ref, services.complaints.viewer(officer_id, {Role.COMPLAINTS_OFFICER}))
    link = services.complaints.survey_link(case, Recipient.COMPLAINANT)
    assert link is not None and link in client.get(f"/complaints/cases/{ref}", headers=officer).text
    form = client.get(link)
    assert form.status_code == 200 and "handled fairly" in form.text
    incomplete = client.post(link, data={"fair": "4"})
    assert incomplete.status_code == 422 and "answer from 1 to 5" in incomplete.text
    done = client.post(link, data={"fair": "4", "independent": "5", "informed": "3"})
    assert done.status_code == 200 and "Thank you" in done.text
    assert client.post(link, data={"fair": "1", "independent": "1", "informed": "1"}).status_code == 404
    assert client.get(link[:-2] + "00").status_code == 404


def test_the_figures_page_its_csv_and_the_joint_panels_figures(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    for _ in range(5):
        file_by_form(client)
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    quarter = str(Quarter.of(services.clock.now()))
    page = client.get(f"/complaints/figures?quarter={quarter}", headers=officer)
    assert page.status_code == 200 and "<svg" in page.text and "Complaints received by category" in page.text
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/complaints/figures.csv?quarter={quarter}", headers=officer).text)
        )
    )
    assert rows[0] == ["scope", "quarter", "section", "item", "value"]
    assert [PARTY, quarter, "by_category", "harassment", "5"] in rows
    assert [PARTY, quarter, "appeals", "lodged", "0"] in rows
    api = client.get(f"/v1/complaints/figures/{quarter}/csv", headers=officer)
    assert api.status_code == 200 and api.text == "\r\n".join(",".join(r) for r in rows) + "\r\n"
    panel_id, panel = team(services, make_user, Role.PANEL_MEMBER)
    _, admin_token = make_user(Role.ADMIN)
    seated = client.post(f"/v1/complaints/handlers/{panel_id}/joint-panel", headers=bearer(admin_token))
    assert seated.status_code == 201, seated.text
    joint = client.get(f"/v1/complaints/figures/{quarter}?joint=true", headers=panel).json()
    assert joint["party"] == "joint-panel" and joint["received"] == 0
    assert client.get("/complaints/joint", headers=panel).status_code == 200
    _, unseated = team(services, make_user, Role.PANEL_MEMBER)
    assert client.get(f"/v1/complaints/figures/{quarter}?joint=true", headers=unseated).status_code == 403


def test_subject_access_and_the_retention_sweep(
    client: TestClient, make_user: MakeUser, services: Services, clock: FixedClock
) -> None:
    ref = file_by_form(client)
    officer_id, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    _, party_admin = team(services, make_user, Role.PARTY_ADMIN)
    step(client, ref, officer, action="acknowledge")
    step(
        client,
        ref,
        officer,
        action="communicate",
        recipient="complainant",
        text="We have your complaint, Ann.",
    )
    held = client.get("/v1/complaints/subject-access?email=ann@example.org", headers=party_admin).json()
    assert [c["case"]["reference"] for c in held["cases"]] == [ref]
    assert "We have your complaint, Ann." in json.dumps(held)
    viewer = services.complaints.viewer(officer_id, {Role.COMPLAINTS_OFFICER})
    services.complaints.assess(
        ref, viewer, Assessment.NO_FURTHER_ACTION, Grounds("Not a breach.", ("1.2",), "the posts")
    )
    quarter = Quarter.of(services.clock.now())
    clock.advance(days=366)
    before = services.complaints.quarterly(viewer, quarter)
    assert services.complaints.sweep_retention() == [ref]
    assert services.session.get(ComplaintKeyRow, ref) is None
    assert services.complaints.quarterly(viewer, quarter) == before
    after = client.get("/v1/complaints/subject-access?email=ann@example.org", headers=party_admin).json()
    assert after["cases"] == []
    page = client.get(f"/complaints/cases/{ref}", headers=officer)
    assert "were erased" in page.text and "We have your complaint, Ann." not in page.text


def test_another_partys_people_reach_nothing_of_it_on_the_new_routes(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    refs = [file_by_form(client) for _ in range(5)]
    _, theirs = team(services, make_user, Role.OVERSIGHT, party="other-party")
    _, their_admin = team(services, make_user, Role.PARTY_ADMIN, party="other-party")
    quarter = str(Quarter.of(services.clock.now()))
    audit = client.get(f"/complaints/audit?quarter={quarter}", headers=theirs)
    assert audit.status_code == 200 and not any(ref in audit.text for ref in refs)
    assert client.get("/complaints/joint", headers=theirs).status_code == 200
    assert not any(ref in client.get("/complaints/joint", headers=theirs).text for ref in refs)
    figures = client.get(f"/v1/complaints/figures/{quarter}", headers=theirs).json()
    assert figures["party"] == "other-party" and figures["received"] == 0
    held = client.get("/v1/complaints/subject-access?email=ann@example.org", headers=their_admin).json()
    assert held["cases"] == []
    assert client.get(f"/complaints/cases/{refs[0]}/export.json", headers=theirs).status_code == 404


def test_staff_file_health_details_by_api_and_they_stay_sealed(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, officer = team(services, make_user, Role.COMPLAINTS_OFFICER)
    filed = client.post(
        "/v1/complaints",
        json={"category": "harassment", "what": "Calls at home.", "health": "Sleepless since."},
        headers=officer,
    )
    assert filed.status_code == 201, filed.text
    stored = json.dumps([row.payload for row in services.session.scalars(select(EventRow))])
    assert "Sleepless since." not in stored and "Calls at home." not in stored
