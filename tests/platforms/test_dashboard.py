"""The election dashboard: the pure fold on plain data, and the page over SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.elections.dashboard import build_dashboard
from hustings.elections.model import Candidacy, Candidate
from hustings.elections.service import Nomination
from hustings.events import Event, Status
from hustings.platforms.model import Channel, PlatformReferralDraft
from hustings.services import Services
from tests.conftest import MakeUser, bearer, sample_message
from tests.elections.conftest import FIRST, IN_PERIOD, KELBRIDGE, KELBRIDGE_DATES

DAY = date(2028, 4, 20)


def nomination(target: str, party: str, ballot: str) -> Nomination:
    return Nomination(
        Candidate(person_id=f"p{target}", target_id=target, name=f"Name {target}", handles=()),
        Candidacy(ballot_paper_id=ballot, election_id="e", party_name=party, party_id="", post_label=""),
    )


def report(message: str, at: datetime, category: str) -> Event:
    return Event(
        "report.filed",
        "message",
        message,
        "system",
        at,
        f"r{message}{at}{category}",
        payload={"reporter_kind": "user", "category": category},
    )


def test_reports_count_for_each_candidate_named_and_by_day_label_party_and_ballot() -> None:
    people = [
        nomination("t1", "Green", "b1"),
        nomination("t2", "Green", "b2"),
        nomination("t3", "Reform", "b1"),
    ]
    noon = datetime(2028, 4, 20, 12, tzinfo=UTC)
    reports = [
        report("m1", noon, "threat"),
        report("m2", noon + timedelta(days=1), "abuse"),
        report("m2", noon + timedelta(days=1, hours=1), "abuse"),
        report("m3", noon + timedelta(days=30), "abuse"),  # after the last day
        report("m4", noon, "abuse"),  # to nobody standing
    ]
    targets = {"m1": ["t1", "t3"], "m2": ["t2"], "m3": ["t1"], "m4": ["t_other"]}
    incidents = [
        Status(
            "incident",
            "i1",
            "open",
            data={"opened_at": noon.isoformat(), "message_ids": ["m1"]},
            target_id="t3",
            priority=0.8,
        ),
        Status("incident", "i2", "closed", data={"opened_at": noon.isoformat()}, target_id="t1"),
    ]
    board = build_dashboard(
        "e", people, reports, targets, incidents, first_day=DAY, last_day=DAY + timedelta(days=2)
    )
    assert board.reports == 3 and board.incidents == 2
    assert [(d, dict(c)) for d, c in board.days] == [
        (DAY, {"threat": 1}),
        (DAY + timedelta(days=1), {"abuse": 2}),
        (DAY + timedelta(days=2), {}),
    ]
    assert [(r.target_id, r.tally.reports, r.tally.incidents) for r in board.by_candidate] == [
        ("t2", 2, 0),
        ("t1", 1, 1),
        ("t3", 1, 1),
    ]
    assert (board.by_party["Green"].reports, board.by_party["Reform"].reports) == (3, 1)
    assert (board.by_ballot["b1"].reports, board.by_ballot["b1"].incidents) == (2, 2)
    assert board.by_label == {"threat": 1, "abuse": 2}
    assert [(p.incident_id, p.name, p.messages) for p in board.pile_ons] == [("i1", "Name t3", 1)]


def test_the_dashboard_page_shows_the_candidates_reports_and_the_platform_response(
    client: TestClient, services: Services, make_user: MakeUser, clock: FixedClock
) -> None:
    clock.at = IN_PERIOD
    services.elections.create(KELBRIDGE, "Kelbridge local election", KELBRIDGE_DATES, actor="user:u_admin")
    services.elections.import_candidates(FIRST, actor="user:u_admin", election_id=KELBRIDGE)
    message = sample_message("d1", targets=["@cllraishaokafor"], created_at=IN_PERIOD.isoformat())
    message_id = services.ingest([message], actor="system").ids[0]
    reporter, token = make_user(Role.MODERATOR)
    services.moderation.file_report(message_id=message_id, reporter=reporter, category="threat")
    services.platform_referrals.refer(
        PlatformReferralDraft("X", Channel.EMAIL, (message_id,), election_id=KELBRIDGE), actor="user:u_mod"
    )
    services.session.commit()
    html = bearer(token) | {"accept": "text/html"}
    page = client.get(f"/elections/{KELBRIDGE}/dashboard", headers=html)
    assert page.status_code == 200, page.text
    assert '<dd data-figure="reports">1</dd>' in page.text
    assert '<th scope="row">Aisha Okafor</th><td>Green Party</td>' in page.text
    assert '<th scope="row">Green Party</th><td class="num">1</td>' in page.text
    assert '<dd data-figure="platform_referrals">1</dd>' in page.text
    assert client.get("/elections/local.nowhere.2028-05-04/dashboard", headers=html).status_code == 404
