"""The pop-up team on SQLite and PostgreSQL, through the app: the invitation accepted once over
its page, the flagger's access refused by the role gate once the period ends or they are
offboarded, a post's address matched to a stored message, and the lane's figures."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.elections.teams import MemberState
from hustings.errors import NotFound
from hustings.events import user_actor
from hustings.services import Services
from tests.conftest import MakeUser, bearer, sample_message
from tests.elections.conftest import IN_PERIOD, KELBRIDGE, KELBRIDGE_DATES

PASSWORD = "correct horse battery staple kelbridge"
POST = "https://x.com/someone/status/1700"


def setup(services: Services, clock: FixedClock) -> str:
    clock.at = IN_PERIOD
    services.elections.create(KELBRIDGE, "Kelbridge local election", KELBRIDGE_DATES, actor="user:u_admin")
    services.ingest([sample_message("1700", url=POST, text="I will hurt you.")], actor="system")
    invitation = services.teams.invite(
        KELBRIDGE,
        email="asha@kelbridge-labour.org.uk",
        name="Asha Patel",
        organisation="Kelbridge Labour",
        team_role="party_safety_lead",
        actor="user:u_admin",
    )
    services.session.commit()
    return invitation.token


def test_the_invitation_page_is_used_once(client: TestClient, services: Services, clock: FixedClock) -> None:
    token = setup(services, clock)
    page = client.get(f"/join/{token}")
    assert page.status_code == 200 and "Asha Patel" in page.text
    weak = client.post(f"/join/{token}", data={"password": "short", "password_again": "short"})
    assert weak.status_code == 422 and "password" in weak.text
    joined = client.post(f"/join/{token}", data={"password": PASSWORD, "password_again": PASSWORD})
    assert joined.status_code == 200 and "joined" in joined.text
    assert client.get(f"/join/{token}").status_code == 404
    again = client.post(f"/join/{token}", data={"password": PASSWORD, "password_again": PASSWORD})
    assert again.status_code == 404
    user = services.users.check_password("asha@kelbridge-labour.org.uk", PASSWORD)
    assert user is not None and user.roles == frozenset({Role.FLAGGER})


def test_access_ends_with_the_period_and_on_offboarding(
    client: TestClient, services: Services, clock: FixedClock, make_user: MakeUser
) -> None:
    member = services.teams.accept(setup(services, clock), password=PASSWORD)
    assert member.user_id is not None
    token = services.users.issue_token(member.user_id, now=clock.now(), expires_at=None)
    services.session.commit()
    flagged = client.post(
        "/v1/reports",
        json={"message_id": services.teams.find_message(POST), "category": "threat"},
        headers=bearer(token),
    )
    assert flagged.status_code == 201, flagged.text
    clock.at = services.elections.get(KELBRIDGE).dates.period_end
    refused = client.get("/v1/reports", headers=bearer(token))
    assert refused.status_code == 403 and "period" in refused.json()["detail"]
    clock.at = IN_PERIOD
    assert client.get("/v1/reports", headers=bearer(token)).status_code == 200
    services.teams.offboard(member.id, actor="user:u_admin", reason="left the party's staff")
    services.session.commit()
    assert client.get("/v1/reports", headers=bearer(token)).status_code == 403
    assert services.teams.member(member.id).state == MemberState.OFFBOARDED


def test_a_post_address_is_matched_or_refused_clearly(services: Services, clock: FixedClock) -> None:
    setup(services, clock)
    found = services.teams.find_message(POST + "/?s=20")
    assert found == services.teams.find_message(found)
    try:
        services.teams.find_message("https://x.com/someone/status/999")
    except NotFound as error:
        assert "no stored message has the address" in str(error)
    else:
        raise AssertionError("an unknown address was matched")


def test_the_lane_due_time_is_on_the_item_and_measured(
    client: TestClient, services: Services, clock: FixedClock, make_user: MakeUser
) -> None:
    member = services.teams.accept(setup(services, clock), password=PASSWORD)
    flagger = services.users.get(member.user_id or "")
    assert flagger is not None
    message_id = services.teams.find_message(POST)
    services.moderation.file_report(message_id=message_id, reporter=flagger, category="threat")
    _, moderator = make_user(Role.MODERATOR)
    lane = client.get("/v1/queues/lane/items", headers=bearer(moderator)).json()
    assert [item["message_id"] for item in lane] == [message_id]
    assert lane[0]["lane_due_at"] == (IN_PERIOD + timedelta(hours=1)).isoformat()
    narrowed = client.get("/v1/queues/lane/items", params={"election": KELBRIDGE}, headers=bearer(moderator))
    assert narrowed.status_code == 200 and narrowed.json() == []  # the message names no candidate
    assert (
        client.get(
            "/v1/queues/lane/items",
            params={"election": "local.nowhere.2028-05-04"},
            headers=bearer(moderator),
        ).status_code
        == 404
    )
    clock.advance(hours=2)
    figures = services.teams.lane_figures(KELBRIDGE)
    assert (figures.items, figures.met, figures.missed) == (1, 0, 1)
    services.session.commit()
    dashboard = client.get(f"/elections/{KELBRIDGE}/dashboard", headers=bearer(moderator) | {"accept": "text/html"})
    assert dashboard.status_code == 200, dashboard.text
    assert '<dd id="lane-items">1</dd>' in dashboard.text and '<dd id="lane-missed">1</dd>' in dashboard.text
    assert re.search(r"lane", client.get("/v1/queues", headers=bearer(moderator)).text)
    assert user_actor(flagger.id) in {e.actor for e in services.events.events_for("message", message_id)}
