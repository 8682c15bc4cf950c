"""Account pages over HTTP on SQLite: enrolling a second factor, the login's second step (codes
not replayable, recovery codes once), your password and tokens, and the admin's user page."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.services import Services
from tests.auth.forms import csrf as form_csrf
from tests.auth.forms import post_login
from tests.conftest import MakeUser

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
PASSWORD = "an old long passphrase"


def csrf(html: str) -> str:
    token = form_csrf(html)
    assert token, "no CSRF token on the page"
    return token


def log_in(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "/") -> str:
    answer = post_login(client, name, password, next_path)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def enrol(client: TestClient, clock: FixedClock) -> tuple[str, list[str]]:
    """Enrol through the pages as the logged-in user; return the secret and the recovery codes."""
    page = client.get("/account/second-factor")
    started = client.post("/account/second-factor", data={"csrf_token": csrf(page.text)})
    assert started.status_code == 200 and started.headers["cache-control"] == "no-store"
    assert "<svg" in started.text and "QR code for your authenticator app" in started.text
    secret = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', started.text)
    assert secret
    confirmed = client.post(
        "/account/second-factor/confirm",
        data={"csrf_token": csrf(started.text), "code": pyotp.TOTP(secret.group(1)).at(clock.now())},
    )
    assert confirmed.status_code == 200, confirmed.text
    block = re.search(r'<pre class="token recovery-codes">(.*?)</pre>', confirmed.text, re.S)
    assert block
    clock.advance(seconds=30)  # the code that confirmed is spent
    return secret.group(1), block.group(1).split()


def log_out(client: TestClient) -> None:
    page = client.get("/account")
    client.post("/logout", data={"csrf_token": csrf(page.text)}, follow_redirects=False)


def test_once_enrolled_a_login_needs_a_code_that_works_once(
    client: TestClient, make_user: MakeUser, clock: FixedClock
) -> None:
    make_user(Role.MODERATOR, password=PASSWORD, name="sam")
    log_in(client, "sam")
    secret, _ = enrol(client, clock)
    log_out(client)

    assert log_in(client, "sam", next_path="/console") == "/login/second-factor"
    assert "hustings_session" not in client.cookies
    held = client.get("/account", headers={"accept": "text/html"}, follow_redirects=False)
    assert held.status_code == 303 and held.headers["location"].startswith("/login")
    form = client.get("/login/second-factor")
    assert form.status_code == 200 and "Authentication code" in form.text

    wrong = client.post("/login/second-factor", data={"code": "12345"}, follow_redirects=False)
    assert wrong.status_code == 401 and "wrong, expired or already used" in wrong.text
    code = pyotp.TOTP(secret).at(clock.now())
    done = client.post("/login/second-factor", data={"code": code}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/console"
    assert client.get("/account").status_code == 200
    log_out(client)

    log_in(client, "sam")
    replayed = client.post("/login/second-factor", data={"code": code}, follow_redirects=False)
    assert replayed.status_code == 401 and "already used" in replayed.text
    clock.advance(seconds=30)
    fresh = pyotp.TOTP(secret).at(clock.now())
    assert (
        client.post("/login/second-factor", data={"code": fresh}, follow_redirects=False).status_code == 303
    )


def test_a_recovery_code_logs_in_once(
    client: TestClient, make_user: MakeUser, clock: FixedClock, services: Services
) -> None:
    sam, _ = make_user(Role.ANALYST, password=PASSWORD, name="sam")
    log_in(client, "sam")
    _, codes = enrol(client, clock)
    assert len(codes) == 10
    log_out(client)
    log_in(client, "sam")
    used = client.post("/login/second-factor", data={"code": codes[0]}, follow_redirects=False)
    assert used.status_code == 303
    log_out(client)
    log_in(client, "sam")
    again = client.post("/login/second-factor", data={"code": codes[0]}, follow_redirects=False)
    assert again.status_code == 401 and "not one of your unused recovery codes" in again.text
    assert "8 recovery code(s) left" in _logged_in_page(client, codes[1], "/account/second-factor")
    failed = [row for row in services.users.access_log() if row.action == "second_factor_failed"]
    assert [row.user_id for row in failed] == [sam.id]


def _logged_in_page(client: TestClient, code: str, path: str) -> str:
    assert client.post("/login/second-factor", data={"code": code}, follow_redirects=False).status_code == 303
    return client.get(path).text


def test_five_wrong_codes_send_you_back_to_the_password(
    client: TestClient, make_user: MakeUser, clock: FixedClock
) -> None:
    make_user(Role.TRIAGE, password=PASSWORD, name="sam")
    log_in(client, "sam")
    secret, _ = enrol(client, clock)
    log_out(client)
    log_in(client, "sam")
    wrong = "000000" if pyotp.TOTP(secret).at(clock.now()) != "000000" else "111111"
    for _ in range(4):
        assert client.post("/login/second-factor", data={"code": wrong}).status_code == 401
    last = client.post("/login/second-factor", data={"code": wrong})
    assert last.status_code == 401 and "too many wrong codes" in last.text
    right = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).at(clock.now())})
    assert right.status_code == 401 and "give your user name and password again" in right.text
    assert "hustings_session" not in client.cookies


def wrong_code(secret: str, clock: FixedClock) -> str:
    """Six digits that no step in the drift window around now accepts."""
    near = {pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30 * step)) for step in range(-2, 3)}
    return next(
        code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in near
    )


def enrolled_and_out(client: TestClient, make_user: MakeUser, clock: FixedClock) -> str:
    """Sam, a moderator with a second factor; this client is then a browser that never logged in
    as sam (no trusted-device cookie), as an attacker's would be. Returns the TOTP secret."""
    make_user(Role.MODERATOR, password=PASSWORD, name="sam")
    log_in(client, "sam")
    secret, _ = enrol(client, clock)
    log_out(client)
    client.cookies.clear()
    return secret


def test_the_right_password_does_not_lift_the_back_off_before_the_code(
    client: TestClient, make_user: MakeUser, clock: FixedClock
) -> None:
    secret = enrolled_and_out(client, make_user, clock)
    for _ in range(5):  # five wrong passwords are free
        assert post_login(client, "sam", "not the passphrase").status_code == 401
    assert log_in(client, "sam") == "/login/second-factor"
    wrong = client.post("/login/second-factor", data={"code": wrong_code(secret, clock)})
    assert wrong.status_code == 401
    blocked = post_login(client, "sam", PASSWORD)  # the sixth failure, the wrong code, blocks
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "1"


def test_wrong_codes_count_as_failed_logins_and_only_a_complete_login_clears_them(
    client: TestClient, make_user: MakeUser, clock: FixedClock, services: Services
) -> None:
    secret = enrolled_and_out(client, make_user, clock)
    log_in(client, "sam")
    for _ in range(4):
        assert (
            client.post("/login/second-factor", data={"code": wrong_code(secret, clock)}).status_code == 401
        )
    last = client.post("/login/second-factor", data={"code": wrong_code(secret, clock)})
    assert last.status_code == 401 and "too many wrong codes" in last.text
    assert log_in(client, "sam") == "/login/second-factor"  # five failures so far, all free
    assert client.post("/login/second-factor", data={"code": wrong_code(secret, clock)}).status_code == 401
    right = pyotp.TOTP(secret).at(clock.now())
    refused = client.post("/login/second-factor", data={"code": right}, follow_redirects=False)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "hustings_session" not in client.cookies
    clock.advance(seconds=1)
    done = client.post("/login/second-factor", data={"code": right}, follow_redirects=False)
    assert done.status_code == 303  # the refused code was never checked, so it is not spent
    log_out(client)
    client.cookies.clear()
    # Cleared by the complete login: two wrong passwords now are the first two, both free.
    assert [post_login(client, "sam", "not the passphrase").status_code for _ in range(2)] == [401, 401]
    actions = [
        row.action for row in services.users.access_log() if row.resource.startswith("/login/second-factor")
    ]
    assert actions.count("second_factor_failed") == 6 and actions.count("login_failed") == 1


def test_without_a_held_login_the_second_step_sends_you_to_the_first(client: TestClient) -> None:
    answer = client.get("/login/second-factor", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    posted = client.post("/login/second-factor", data={"code": "123456"}, follow_redirects=False)
    assert posted.status_code == 401 and "give your user name and password again" in posted.text


def test_non_staff_see_no_second_factor_and_change_their_password_on_the_account_page(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    make_user(Role.DELEGATE, password=PASSWORD, name="dee")
    log_in(client, "dee")
    page = client.get("/account")
    assert page.status_code == 200 and "Second factor" not in page.text
    assert page.headers["cache-control"] == "no-store"
    differ = client.post(
        "/account/password",
        data={
            "csrf_token": csrf(page.text),
            "current_password": PASSWORD,
            "new_password": "one new passphrase",
            "new_password_again": "another new passphrase",
        },
    )
    assert differ.status_code == 422 and "the two new passwords differ" in differ.text
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": csrf(page.text),
            "current_password": "not mine",
            "new_password": "one new passphrase",
            "new_password_again": "one new passphrase",
        },
    )
    assert wrong.status_code == 422 and "current_password: does not match" in wrong.text
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf(page.text),
            "current_password": PASSWORD,
            "new_password": "one new passphrase",
            "new_password_again": "one new passphrase",
        },
    )
    assert changed.status_code == 200 and "Password changed. 0 other session(s) ended." in changed.text
    assert services.users.check_password("dee", "one new passphrase") is not None


def test_you_revoke_your_own_token_on_the_account_page(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    dee, _ = make_user(Role.DELEGATE, password=PASSWORD, name="dee")
    issued = services.accounts.issue_token(dee.id, actor="user:admin", label="<i>phone</i>")
    services.session.commit()
    log_in(client, "dee")
    page = client.get("/account")
    assert issued.info.id in page.text and "&lt;i&gt;phone&lt;/i&gt;" in page.text
    revoked = client.post(f"/account/tokens/{issued.info.id}/revoke", data={"csrf_token": csrf(page.text)})
    assert revoked.status_code == 200 and f"Token {issued.info.id} revoked." in revoked.text
    assert services.accounts.token(issued.info.id).revoked_at is not None


def test_the_admin_manages_an_account_on_its_page(
    client: TestClient, make_user: MakeUser, services: Services, clock: FixedClock
) -> None:
    ada, _ = make_user(Role.ADMIN, password=PASSWORD, name="ada")
    sam, sam_token = make_user(Role.MODERATOR, password=PASSWORD, name="<b>sam</b>")
    sam_session, _ = services.users.open_session(sam.id, now=clock.now(), hours=12)
    services.session.commit()
    log_in(client, "ada")

    users = client.get("/admin/users")
    assert f'href="/admin/users/{sam.id}"' in users.text and "&lt;b&gt;sam&lt;/b&gt;" in users.text
    page = client.get(f"/admin/users/{sam.id}")
    assert page.status_code == 200 and "<b>sam</b>" not in page.text
    title = page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "&lt;b&gt;sam&lt;/b&gt; · Users" in title and "<" not in title  # the name, not the page's tables
    token = csrf(page.text)

    issued = client.post(
        f"/admin/users/{sam.id}/tokens", data={"csrf_token": token, "label": "bot", "days": "3"}
    )
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    new_token = re.search(r'<pre class="token">(hus_[^<]+)</pre>', issued.text)
    assert new_token and "10 May 2026" in issued.text  # expires three days after T0

    unconfirmed = client.post(f"/admin/users/{sam.id}/disable", data={"csrf_token": token, "reason": "gone"})
    assert unconfirmed.status_code == 422 and "tick the box to confirm" in unconfirmed.text
    assert not services.accounts.user(sam.id).disabled
    no_reason = client.post(f"/admin/users/{sam.id}/disable", data={"csrf_token": token, "confirm": "yes"})
    assert no_reason.status_code == 422 and "say why the account is disabled" in no_reason.text
    disabled = client.post(
        f"/admin/users/{sam.id}/disable", data={"csrf_token": token, "reason": "gone", "confirm": "yes"}
    )
    assert disabled.status_code == 200 and "is disabled; their sessions and tokens ended." in disabled.text
    assert services.users.by_session(sam_session, now=clock.now()) is None
    assert {t.state(clock.now()) for t in services.accounts.tokens(sam.id)} == {"revoked"}
    enabled = client.post(f"/admin/users/{sam.id}/enable", data={"csrf_token": token, "confirm": "yes"})
    assert "Their old tokens stay revoked." in enabled.text
    for old in (sam_token, new_token.group(1)):
        assert client.get("/v1/me/tokens", headers={"authorization": f"Bearer {old}"}).status_code == 401

    reset = client.post(
        f"/admin/users/{sam.id}/password",
        data={"csrf_token": token, "password": "a reset passphrase", "confirm": "yes"},
    )
    assert "Password reset; 0 session(s) ended." in reset.text
    assert services.users.check_password("<b>sam</b>", "a reset passphrase") is not None

    another = services.accounts.issue_token(sam.id, actor="user:ada")
    services.session.commit()
    revoked = client.post(
        f"/admin/tokens/{another.info.id}/revoke", data={"csrf_token": token, "confirm": "yes"}
    )
    assert revoked.status_code == 200 and f"Token {another.info.id} revoked." in revoked.text

    enrolment = services.accounts.start_enrolment(sam.id)
    services.accounts.confirm_enrolment(sam.id, pyotp.TOTP(enrolment.secret).at(clock.now()))
    services.session.commit()
    assert "Remove second factor" in client.get(f"/admin/users/{sam.id}").text
    removed = client.post(
        f"/admin/users/{sam.id}/second-factor/reset", data={"csrf_token": token, "confirm": "yes"}
    )
    assert "Second factor removed" in removed.text and not services.accounts.second_factor_enrolled(sam.id)

    assert "Disable &lt;b&gt;sam&lt;/b&gt;" in client.get(f"/admin/users/{sam.id}").text
    mine = client.get(f"/admin/users/{ada.id}")
    assert mine.status_code == 200 and f'action="/admin/users/{ada.id}/disable"' not in mine.text
    assert "Disable ada" not in mine.text and "This is your own account" in mine.text
    own = client.post(  # still refused
        f"/admin/users/{ada.id}/disable", data={"csrf_token": token, "reason": "me", "confirm": "yes"}
    )
    assert own.status_code == 403 and "your own account" in own.text

    roles = client.post(
        f"/admin/users/{sam.id}/roles",
        data={"csrf_token": token, "roles": ["moderator", "triage"], "reason": "promoted", "confirm": "yes"},
    )
    assert roles.status_code == 200 and services.accounts.user(sam.id).roles == {Role.MODERATOR, Role.TRIAGE}
    kinds = [event.kind for event in services.accounts.history(sam.id)]
    assert kinds.count("account.roles_changed") == 1 and "account.disabled" in kinds
    history = client.get(f"/admin/users/{sam.id}").text
    assert "roles changed: moderator, triage" in history and "account disabled" in history
    assert "account.roles_changed" not in history  # the code is never shown raw
    demote_self = client.post(
        f"/admin/users/{ada.id}/roles", data={"csrf_token": token, "roles": ["analyst"], "confirm": "yes"}
    )
    assert demote_self.status_code == 403 and Role.ADMIN in services.accounts.user(ada.id).roles
