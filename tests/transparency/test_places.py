"""Where targets and messages are (issue 17, recommendation 24's UK nations): recorded in the
register, the elections import and at ingest, checked, and reported by."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.elections.model import nation_of
from hustings.errors import InvalidInput
from hustings.messages.events import MESSAGE_INGESTED
from hustings.places import Nation, checked_place, place_of
from hustings.services import Services
from hustings.targets.model import TargetRole
from hustings.transparency.period import Period
from tests.conftest import MakeUser, bearer, sample_message


def test_a_place_is_normalised_and_a_nation_implies_the_uk() -> None:
    assert checked_place("gb", "Northern Ireland") == ("GB", "northern_ireland")
    assert checked_place(None, "scotland") == ("GB", "scotland")
    assert checked_place("UK", None) == ("GB", None)
    assert checked_place("ie", None) == ("IE", None)
    assert checked_place(None, None) == (None, None)


@pytest.mark.parametrize(
    ("country", "nation", "named"),
    [("IRL", None, "country"), ("FR", "wales", "nation"), ("GB", "cornwall", "nation")],
)
def test_a_bad_place_is_refused_naming_the_field(country: str, nation: str | None, named: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^target\.{named}: "):
        checked_place(country, nation, field="target")


def test_the_report_labels_places_by_nation_inside_the_uk_and_by_country_outside() -> None:
    assert [place_of("GB", n.value) for n in Nation] == ["england", "scotland", "wales", "northern_ireland"]
    assert (place_of("GB", None), place_of("IE", None), place_of(None, None)) == (
        "united_kingdom",
        "ie",
        "not_recorded",
    )


def test_the_election_id_says_the_nation_where_it_can() -> None:
    assert nation_of("sp.c.2026-05-07") is Nation.SCOTLAND
    assert nation_of("senedd.2026-05-07") is Nation.WALES
    assert nation_of("nia.2027-05-06") is Nation.NORTHERN_IRELAND
    assert nation_of("gla.a.2028-05-04") is Nation.ENGLAND
    assert nation_of("parl.2029-05-03") is None
    assert nation_of("local.kelbridge.2028-05-04") is None


def test_the_register_api_records_the_place_and_refuses_a_bad_one(
    client: TestClient, make_user: MakeUser
) -> None:
    _, token = make_user(Role.ADMIN)
    made = client.post(
        "/v1/targets",
        json={"name": "Rhian Evans", "role": "mp", "nation": "wales"},
        headers=bearer(token),
    )
    assert made.status_code == 201, made.text
    assert (made.json()["country"], made.json()["nation"]) == ("GB", "wales")
    refused = client.post(
        "/v1/targets",
        json={"name": "Jean Martin", "role": "mp", "country": "FR", "nation": "wales"},
        headers=bearer(token),
    )
    assert refused.status_code in (400, 422) and "nation" in refused.text


def test_the_source_s_place_of_a_message_is_carried_into_the_report(
    services: Services, make_user: MakeUser
) -> None:
    reporter, _ = make_user(Role.MODERATOR)
    services.targets.create(
        name="Priya",
        role=TargetRole.CANDIDATE,
        party=None,
        constituency=None,
        handles=[("x", "priya")],
        now=datetime(2026, 1, 1, tzinfo=UTC),
        country="GB",
        nation="england",
    )
    message = sample_message("1", details={"country": "gb", "nation": "wales"})
    result = services.ingest([message, sample_message("2")], actor="test")
    assert result.accepted == 2
    (ingested,) = [
        e for e in services.events.events_for("message", result.ids[0]) if e.kind == MESSAGE_INGESTED
    ]
    assert (ingested.payload["country"], ingested.payload["nation"]) == ("GB", "wales")
    # Reported in the period: counted under the message's nation and its target's.
    for message_id in result.ids:
        services.moderation.file_report(message_id=message_id, reporter=reporter, category="abuse")
    today = services.clock.now().date()
    period = Period(today, today)
    report = services.transparency.report(period)
    assert report == services.transparency.compute(period)
    assert {k: b.reports_received for k, b in report.by_message_nation.items()} == {
        "wales": 1,
        "not_recorded": 1,
    }
    assert {k: b.reports_received for k, b in report.by_target_nation.items()} == {"england": 2}


def test_the_register_form_records_the_nation(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, token = make_user(Role.ADMIN)
    form = {"content-type": "application/x-www-form-urlencoded"}
    made = client.post(
        "/targets",
        content=b"name=Morag+Grant&role=mp&nation=scotland",
        headers=bearer(token) | form,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    refused = client.post(
        "/targets",
        content=b"name=Jean+Martin&role=mp&country=F1",
        headers=bearer(token) | form,
        follow_redirects=False,
    )
    assert refused.status_code == 303 and "error" in refused.headers["location"]
    assert [(t.name, t.country, t.nation) for t in services.targets.all()] == [
        ("Morag Grant", "GB", "scotland")
    ]
    page = client.get("/targets", headers=bearer(token) | {"accept": "text/html"})
    assert '<option value="northern_ireland">northern ireland</option>' in page.text
