"""Accounts over the JSON API, on SQLite and PostgreSQL: expired and revoked tokens refused with
401 and the reason, disabling that ends sessions and tokens in the same request, passwords."""

from __future__ import annotations

import pyotp
from fastapi.testclient import TestClient

from hustings.auth.events import (
    ACCOUNT_DISABLED,
    ACCOUNT_ENABLED,
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    SECOND_FACTOR_RESET,
    SUBJECT,
    TOKEN_ISSUED,
    TOKEN_REVOKED,
)
from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.services import Services
from tests.auth.forms import post_login
from tests.conftest import MakeUser, bearer

PASSWORD = "an old long passphrase"
JSON = {"accept": "application/json"}


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in with the form; return the session cookie (the client keeps it too)."""
    answer = post_login(client, name, password)
    assert answer.status_code == 303, answer.text
    return answer.cookies["hustings_session"]


def kinds(services: Services, user_id: str) -> list[str]:
    return [event.kind for event in services.events.events_for(SUBJECT, user_id)]


def test_an_expired_token_is_refused_with_401_saying_it_expired(
    client: TestClient, make_user: MakeUser, clock: FixedClock, services: Services
) -> None:
    _, admin = make_user(Role.ADMIN)
    bot, _ = make_user(Role.TRIAGE)
    issued = client.post(
        f"/v1/users/{bot.id}/tokens", json={"label": "ingest", "expires_in_days": 2}, headers=bearer(admin)
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["info"]["state"] == "active" and body["info"]["expires_at"].startswith("2026-05-09T09:00:00")
    assert client.get("/v1/me/tokens", headers=bearer(body["token"])).status_code == 200

    clock.advance(days=2)
    refused = client.get("/v1/me/tokens", headers=bearer(body["token"]))
    assert refused.status_code == 401
    assert refused.json() == {
        "detail": "token: expired at 2026-05-09T09:00:00+00:00; ask an admin for a new one"
    }
    assert refused.headers["www-authenticate"] == "Bearer"
    listed = client.get(f"/v1/users/{bot.id}/tokens", headers=bearer(admin)).json()
    assert [t["state"] for t in listed if t["id"] == body["info"]["id"]] == ["expired"]
    assert kinds(services, bot.id) == [TOKEN_ISSUED]


def test_the_default_lifetime_comes_from_settings(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, admin = make_user(Role.ADMIN)
    bot, _ = make_user(Role.TRIAGE)
    body = client.post(f"/v1/users/{bot.id}/tokens", json={}, headers=bearer(admin)).json()
    assert body["info"]["expires_at"].startswith("2026-08-05T09:00:00")  # 90 days after T0
    too_long = client.post(
        f"/v1/users/{bot.id}/tokens", json={"expires_in_days": 4000}, headers=bearer(admin)
    )
    assert too_long.status_code == 422 and "expires_in_days" in too_long.text


def test_a_revoked_token_is_refused_with_401_saying_so(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, admin = make_user(Role.ADMIN)
    bot, _ = make_user(Role.TRIAGE)
    body = client.post(f"/v1/users/{bot.id}/tokens", json={}, headers=bearer(admin)).json()
    token_id = body["info"]["id"]
    revoked = client.post(f"/v1/tokens/{token_id}/revoke", json={"reason": "leaked"}, headers=bearer(admin))
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    refused = client.get("/v1/me/tokens", headers=bearer(body["token"]))
    assert refused.status_code == 401 and refused.json()["detail"].startswith("token: revoked at 2026-05-07")
    again = client.post(f"/v1/tokens/{token_id}/revoke", json={}, headers=bearer(admin))
    assert again.status_code == 200
    assert kinds(services, bot.id) == [TOKEN_ISSUED, TOKEN_REVOKED]
    assert client.post("/v1/tokens/t_nothing/revoke", json={}, headers=bearer(admin)).status_code == 404


def test_a_user_revokes_their_own_token_and_no_one_elses(client: TestClient, make_user: MakeUser) -> None:
    _, admin = make_user(Role.ADMIN)
    sam, _ = make_user(Role.MODERATOR)
    _, jo_token = make_user(Role.MODERATOR)
    sams = client.post(f"/v1/users/{sam.id}/tokens", json={}, headers=bearer(admin)).json()
    mine = client.get("/v1/me/tokens", headers=bearer(sams["token"])).json()
    assert [t["id"] for t in mine if t["id"] == sams["info"]["id"]] == [sams["info"]["id"]]
    stolen = client.post(f"/v1/me/tokens/{sams['info']['id']}/revoke", headers=bearer(jo_token))
    assert stolen.status_code == 404
    own = client.post(f"/v1/me/tokens/{sams['info']['id']}/revoke", headers=bearer(sams["token"]))
    assert own.status_code == 200 and own.json()["state"] == "revoked"
    assert client.get("/v1/me/tokens", headers=bearer(sams["token"])).status_code == 401


def test_disabling_ends_sessions_and_tokens_at_once_and_enabling_revives_no_token(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, admin = make_user(Role.ADMIN)
    sam, sam_token = make_user(Role.MODERATOR, password=PASSWORD, name="sam")
    log_in(client, "sam")
    assert client.get("/v1/me/tokens", headers=JSON).status_code == 200  # by the session cookie

    disabled = client.post(
        f"/v1/users/{sam.id}/disable", json={"reason": "left the party"}, headers=bearer(admin)
    )
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert client.get("/v1/me/tokens", headers=JSON).status_code == 401  # the session is gone
    refused = client.get("/v1/me/tokens", headers=bearer(sam_token))
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    again = post_login(client, "sam", PASSWORD)
    assert again.status_code == 401

    enabled = client.post(f"/v1/users/{sam.id}/enable", headers=bearer(admin))  # the body is optional
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    still = client.get("/v1/me/tokens", headers=bearer(sam_token))
    assert still.status_code == 401 and still.json()["detail"].startswith("token: revoked")
    fresh = client.post(f"/v1/users/{sam.id}/tokens", json={}, headers=bearer(admin)).json()["token"]
    assert client.get("/v1/me/tokens", headers=bearer(fresh)).status_code == 200

    events = services.events.events_for(SUBJECT, sam.id)
    disabled_event = next(e for e in events if e.kind == ACCOUNT_DISABLED)
    assert disabled_event.reason == "left the party" and disabled_event.payload["sessions_ended"] == 1
    assert [e.kind for e in events] == [ACCOUNT_DISABLED, ACCOUNT_ENABLED, TOKEN_ISSUED]
    listed = {u["name"]: u for u in client.get("/v1/users", headers=bearer(admin)).json()}
    assert listed["sam"]["disabled"] is False and listed["sam"]["second_factor"] is False


def test_an_admin_cannot_disable_themselves(client: TestClient, make_user: MakeUser) -> None:
    boss, admin = make_user(Role.ADMIN)
    refused = client.post(f"/v1/users/{boss.id}/disable", json={}, headers=bearer(admin))
    assert refused.status_code == 403 and "your own account" in refused.json()["detail"]


def test_changing_your_password_needs_the_current_one_and_ends_your_other_sessions(
    client: TestClient, make_user: MakeUser, services: Services, clock: FixedClock
) -> None:
    sam, _ = make_user(Role.ANALYST, password=PASSWORD, name="sam")
    elsewhere, _ = services.users.open_session(sam.id, now=clock.now(), hours=12)
    services.session.commit()
    here = log_in(client, "sam")
    csrf = services.users.by_session(here, now=clock.now())
    assert csrf is not None
    headers = JSON | {"x-csrf-token": csrf[1]}
    wrong = client.post(
        "/v1/me/password",
        json={"current_password": "not it", "new_password": "a brand new passphrase"},
        headers=headers,
    )
    assert (
        wrong.status_code == 422
        and wrong.json()["detail"] == "current_password: does not match your password"
    )
    changed = client.post(
        "/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=headers,
    )
    assert changed.status_code == 204
    assert services.users.by_session(elsewhere, now=clock.now()) is None
    assert client.get("/v1/me/tokens", headers=JSON).status_code == 200  # this session stays
    assert services.users.check_password("sam", PASSWORD) is None
    assert services.users.check_password("sam", "a brand new passphrase") is not None
    assert kinds(services, sam.id) == [PASSWORD_CHANGED]


def test_an_admin_reset_sets_the_password_and_ends_every_session(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    boss, admin = make_user(Role.ADMIN)
    sam, _ = make_user(Role.MODERATOR, password=PASSWORD, name="sam")
    log_in(client, "sam")
    reset = client.post(
        f"/v1/users/{sam.id}/password", json={"password": "chosen by the admin"}, headers=bearer(admin)
    )
    assert reset.status_code == 200 and reset.json() == {"sessions_ended": 1}
    assert client.get("/v1/me/tokens", headers=JSON).status_code == 401
    log_in(client, "sam", "chosen by the admin")
    (event,) = services.events.events_for(SUBJECT, sam.id)
    assert event.kind == PASSWORD_RESET and event.actor == f"user:{boss.id}"


def test_an_admin_removes_a_second_factor(
    client: TestClient, make_user: MakeUser, services: Services, clock: FixedClock
) -> None:
    _, admin = make_user(Role.ADMIN)
    sam, _ = make_user(Role.MODERATOR, password=PASSWORD, name="sam")
    enrolment = services.accounts.start_enrolment(sam.id)
    services.accounts.confirm_enrolment(sam.id, pyotp.TOTP(enrolment.secret).at(clock.now()))
    services.session.commit()
    listed = {u["name"]: u for u in client.get("/v1/users", headers=bearer(admin)).json()}
    assert listed["sam"]["second_factor"] is True
    removed = client.delete(f"/v1/users/{sam.id}/second-factor", headers=bearer(admin))
    assert removed.status_code == 200 and removed.json()["second_factor"] is False
    assert kinds(services, sam.id)[-1] == SECOND_FACTOR_RESET
    assert post_login(client, "sam", PASSWORD).headers["location"] == "/"  # no second step now
