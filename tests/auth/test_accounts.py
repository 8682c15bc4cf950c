"""The account service on its in-memory store: token lifetimes and revocation, disabling, passwords,
the second factor. No database: the SQL store runs the same rules in test_api, test_pages and
test_cli beside this file."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hustings.auth.accounts import AccountPolicy, Accounts, SecondFactorRecord
from hustings.auth.events import (
    ACCOUNT_DISABLED,
    ACCOUNT_ENABLED,
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    RECOVERY_CODE_USED,
    RECOVERY_CODES_ISSUED,
    SECOND_FACTOR_ENROLLED,
    SECOND_FACTOR_RESET,
    SUBJECT,
    TOKEN_ISSUED,
    TOKEN_REVOKED,
)
from hustings.auth.memory import InMemoryAccountStore
from hustings.auth.model import Role
from hustings.auth.second_factor import SecretBox, accepted_step
from hustings.clock import FixedClock
from hustings.errors import (
    ConfigurationError,
    Conflict,
    DuplicateEvent,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from hustings.events import EventLog, InMemoryEventStore, fold
from hustings.events.registry import default_reducers
from tests.conftest import T0

PASSWORD = "a long old passphrase"
ADMIN = "user:u_admin"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store() -> InMemoryAccountStore:
    store = InMemoryAccountStore()
    store.add_user("u_admin", {Role.ADMIN}, PASSWORD)
    store.add_user("u_mod", {Role.MODERATOR}, PASSWORD)
    store.add_user("u_del", {Role.DELEGATE}, PASSWORD)
    return store


@pytest.fixture
def events() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def accounts(store: InMemoryAccountStore, events: InMemoryEventStore, clock: FixedClock) -> Accounts:
    log = EventLog(events, default_reducers())
    return Accounts(store, log, clock, SecretBox("a test secret"), AccountPolicy(token_days=30))


def kinds(events: InMemoryEventStore) -> list[str]:
    return [event.kind for event in events.events]


def code_at(secret: str, clock: FixedClock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now(), counter_offset=steps)


def enrol(accounts: Accounts, clock: FixedClock, user_id: str = "u_mod") -> tuple[str, list[str]]:
    enrolment = accounts.start_enrolment(user_id)
    codes = accounts.confirm_enrolment(user_id, code_at(enrolment.secret, clock))
    clock.advance(seconds=30)  # the confirming code is spent; the next step's is fresh
    return enrolment.secret, codes


# ---------------------------------------------------------------- tokens


def test_a_token_lives_the_default_lifetime_then_is_refused_saying_it_expired(
    accounts: Accounts, clock: FixedClock
) -> None:
    issued = accounts.issue_token("u_mod", actor=ADMIN, label="ingest bot")
    assert issued.info.expires_at == T0 + timedelta(days=30)
    assert accounts.authenticate_token(issued.token).id == "u_mod"
    clock.advance(days=30)
    with pytest.raises(NotAuthenticated, match=r"token: expired at 2026-06-06T09:00:00\+00:00"):
        accounts.authenticate_token(issued.token)


def test_a_lifetime_can_be_given_per_token_within_bounds(accounts: Accounts, clock: FixedClock) -> None:
    short = accounts.issue_token("u_mod", actor=ADMIN, days=1)
    assert short.info.expires_at == T0 + timedelta(days=1)
    with pytest.raises(InvalidInput, match="expires_in_days: must be 1 to 3650, not 0"):
        accounts.issue_token("u_mod", actor=ADMIN, days=0)
    clock.advance(days=1)
    assert short.info.id in {t.id for t in accounts.tokens("u_mod") if t.state(clock.now()) == "expired"}


def test_a_revoked_token_is_refused_saying_so_and_revoking_again_changes_nothing(
    accounts: Accounts, events: InMemoryEventStore
) -> None:
    issued = accounts.issue_token("u_mod", actor=ADMIN)
    accounts.revoke_token(issued.info.id, actor=ADMIN, reason="left the team")
    with pytest.raises(NotAuthenticated, match="token: revoked at 2026-05-07T09:00:00"):
        accounts.authenticate_token(issued.token)
    accounts.revoke_token(issued.info.id, actor=ADMIN)
    assert kinds(events) == [TOKEN_ISSUED, TOKEN_REVOKED]
    assert events.events[1].reason == "left the team" and events.events[1].actor == ADMIN


def test_an_unknown_token_is_refused(accounts: Accounts) -> None:
    with pytest.raises(NotAuthenticated, match="token: not recognised"):
        accounts.authenticate_token("hus_nothing")


def test_a_user_revokes_only_their_own_tokens(accounts: Accounts) -> None:
    theirs = accounts.issue_token("u_mod", actor=ADMIN)
    with pytest.raises(NotFound, match="of yours"):
        accounts.revoke_token(theirs.info.id, actor="user:u_del", owner="u_del")
    assert accounts.revoke_token(theirs.info.id, actor="user:u_mod", owner="u_mod").revoked_at == T0


# ---------------------------------------------------------------- disabling


def test_disabling_ends_sessions_and_tokens_and_enabling_revives_neither(
    accounts: Accounts, store: InMemoryAccountStore, events: InMemoryEventStore
) -> None:
    first = accounts.issue_token("u_mod", actor=ADMIN)
    second = accounts.issue_token("u_mod", actor=ADMIN)
    session = store.open_session("u_mod")
    accounts.disable("u_mod", actor=ADMIN, reason="compromised laptop")
    assert not store.session_open("u_mod", session)
    with pytest.raises(NotAuthenticated, match="account it belongs to is disabled"):
        accounts.authenticate_token(first.token)

    accounts.enable("u_mod", actor=ADMIN)
    for issued in (first, second):
        with pytest.raises(NotAuthenticated, match="token: revoked"):
            accounts.authenticate_token(issued.token)
    fresh = accounts.issue_token("u_mod", actor=ADMIN)
    assert accounts.authenticate_token(fresh.token).id == "u_mod"

    disabled = next(e for e in events.events if e.kind == ACCOUNT_DISABLED)
    assert disabled.actor == ADMIN and disabled.reason == "compromised laptop"
    assert sorted(disabled.payload["tokens_revoked"]) == sorted([first.info.id, second.info.id])
    assert disabled.payload["sessions_ended"] == 1
    assert ACCOUNT_ENABLED in kinds(events)


def test_disabling_twice_is_one_event_and_an_admin_cannot_disable_themselves(
    accounts: Accounts, events: InMemoryEventStore
) -> None:
    accounts.disable("u_mod", actor=ADMIN)
    accounts.disable("u_mod", actor=ADMIN)
    assert kinds(events) == [ACCOUNT_DISABLED]
    with pytest.raises(Forbidden, match="your own account"):
        accounts.disable("u_admin", actor=ADMIN)
    with pytest.raises(Conflict, match="is disabled"):
        accounts.issue_token("u_mod", actor=ADMIN)


def test_two_admins_acting_on_one_stale_status_do_not_both_write(
    accounts: Accounts, events: InMemoryEventStore
) -> None:
    # The key kind:user:event_count is an optimistic lock: a second writer that read the same
    # status (here: replayed by hand) is refused instead of logging a second change.
    accounts.reset_password("u_mod", new="a new long passphrase", actor=ADMIN)
    replayed = events.events[-1]
    log = EventLog(events, default_reducers())
    with pytest.raises(DuplicateEvent):
        log.append(replayed)


# ---------------------------------------------------------------- passwords


def test_changing_a_password_needs_the_current_one_and_ends_other_sessions(
    accounts: Accounts, store: InMemoryAccountStore, events: InMemoryEventStore
) -> None:
    here = store.open_session("u_mod")
    elsewhere = store.open_session("u_mod")
    with pytest.raises(InvalidInput, match="current_password: does not match"):
        accounts.change_password("u_mod", current="wrong", new="a new long passphrase", keep_session=here)
    assert store.session_open("u_mod", elsewhere)
    ended = accounts.change_password(
        "u_mod", current=PASSWORD, new="a new long passphrase", keep_session=here
    )
    assert ended == 1
    assert store.session_open("u_mod", here) and not store.session_open("u_mod", elsewhere)
    assert store.password_matches("u_mod", "a new long passphrase")
    assert kinds(events) == [PASSWORD_CHANGED] and events.events[0].actor == "user:u_mod"


def test_an_admin_reset_ends_every_session(
    accounts: Accounts, store: InMemoryAccountStore, events: InMemoryEventStore
) -> None:
    sessions = [store.open_session("u_mod"), store.open_session("u_mod")]
    assert accounts.reset_password("u_mod", new="set by the admin", actor=ADMIN) == 2
    assert not any(store.session_open("u_mod", s) for s in sessions)
    assert store.password_matches("u_mod", "set by the admin")
    assert kinds(events) == [PASSWORD_RESET] and events.events[0].actor == ADMIN


# ---------------------------------------------------------------- the second factor


def test_only_staff_enrol(accounts: Accounts) -> None:
    assert accounts.may_enrol(accounts.user("u_mod")) and not accounts.may_enrol(accounts.user("u_del"))
    with pytest.raises(Forbidden, match="only staff"):
        accounts.start_enrolment("u_del")


def test_enrolment_takes_effect_only_with_a_code_from_the_scanned_secret(
    accounts: Accounts, clock: FixedClock, store: InMemoryAccountStore
) -> None:
    enrolment = accounts.start_enrolment("u_mod")
    assert enrolment.uri.startswith("otpauth://totp/Hustings:u_mod?secret=")
    assert not accounts.second_factor_required(accounts.user("u_mod"))
    with pytest.raises(InvalidInput, match="code: not the current code"):
        accounts.confirm_enrolment(
            "u_mod", "000000" if code_at(enrolment.secret, clock) != "000000" else "111111"
        )
    codes = accounts.confirm_enrolment("u_mod", code_at(enrolment.secret, clock))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert accounts.second_factor_required(accounts.user("u_mod"))
    record = store.second_factor("u_mod")
    assert record.sealed_secret is not None and enrolment.secret not in record.sealed_secret


def test_a_login_needs_a_current_code_and_the_same_code_never_works_twice(
    accounts: Accounts, clock: FixedClock
) -> None:
    secret, _ = enrol(accounts, clock)
    user = accounts.user("u_mod")
    code = code_at(secret, clock)
    first = accounts.begin_second_factor(user, "/console")
    assert accounts.finish_second_factor(first, code) == (user, "/console")
    replay = accounts.begin_second_factor(user, "/")
    with pytest.raises(InvalidInput, match="already used"):
        accounts.finish_second_factor(replay, code)
    # The same code is refused for the rest of its window, one step of drift included.
    clock.advance(seconds=30)
    with pytest.raises(InvalidInput, match="already used"):
        accounts.finish_second_factor(replay, code)
    assert accounts.finish_second_factor(replay, code_at(secret, clock))[0] == user


def test_a_code_one_step_off_is_accepted_two_steps_off_is_not(accounts: Accounts, clock: FixedClock) -> None:
    secret, _ = enrol(accounts, clock)
    user = accounts.user("u_mod")
    challenge = accounts.begin_second_factor(user, "/")
    with pytest.raises(InvalidInput):
        accounts.finish_second_factor(challenge, code_at(secret, clock, steps=2))
    assert accounts.finish_second_factor(challenge, code_at(secret, clock, steps=1))[0] == user


def test_too_many_wrong_codes_drop_the_login(accounts: Accounts, clock: FixedClock) -> None:
    secret, _ = enrol(accounts, clock)
    challenge = accounts.begin_second_factor(accounts.user("u_mod"), "/")
    wrong = "123456" if code_at(secret, clock) != "123456" else "654321"
    for _ in range(4):
        with pytest.raises(InvalidInput):
            accounts.finish_second_factor(challenge, wrong)
    with pytest.raises(NotAuthenticated, match="too many wrong codes"):
        accounts.finish_second_factor(challenge, wrong)
    with pytest.raises(NotAuthenticated, match="expired"):
        accounts.finish_second_factor(challenge, code_at(secret, clock))


def test_a_held_login_expires(accounts: Accounts, clock: FixedClock) -> None:
    secret, _ = enrol(accounts, clock)
    challenge = accounts.begin_second_factor(accounts.user("u_mod"), "/")
    clock.advance(minutes=5)
    with pytest.raises(NotAuthenticated, match="give your user name and password again"):
        accounts.finish_second_factor(challenge, code_at(secret, clock))


def test_disabling_drops_a_held_login(accounts: Accounts, clock: FixedClock) -> None:
    secret, _ = enrol(accounts, clock)
    challenge = accounts.begin_second_factor(accounts.user("u_mod"), "/")
    accounts.disable("u_mod", actor=ADMIN)
    with pytest.raises(NotAuthenticated):
        accounts.finish_second_factor(challenge, code_at(secret, clock))


def test_a_second_factor_reset_while_a_login_waits_sends_it_back_to_the_password(
    accounts: Accounts, clock: FixedClock
) -> None:
    secret, _ = enrol(accounts, clock)
    challenge = accounts.begin_second_factor(accounts.user("u_mod"), "/")
    accounts.reset_second_factor("u_mod", actor=ADMIN)
    with pytest.raises(NotAuthenticated, match="second factor was reset"):
        accounts.finish_second_factor(challenge, code_at(secret, clock))


def test_a_recovery_code_works_once(
    accounts: Accounts, clock: FixedClock, events: InMemoryEventStore
) -> None:
    _, codes = enrol(accounts, clock)
    user = accounts.user("u_mod")
    typed = codes[3].upper().replace("-", " ")  # as read off paper
    assert accounts.finish_second_factor(accounts.begin_second_factor(user, "/"), typed)[0] == user
    with pytest.raises(InvalidInput, match="not one of your unused recovery codes"):
        accounts.finish_second_factor(accounts.begin_second_factor(user, "/"), codes[3])
    assert accounts.recovery_codes_left("u_mod") == 9
    used = [e for e in events.events if e.kind == RECOVERY_CODE_USED]
    assert len(used) == 1 and used[0].payload == {"remaining": 9}


def test_new_recovery_codes_replace_the_old_and_need_a_current_code(
    accounts: Accounts, clock: FixedClock
) -> None:
    secret, old = enrol(accounts, clock)
    with pytest.raises(InvalidInput):
        accounts.regenerate_recovery_codes("u_mod", "not a code")
    new = accounts.regenerate_recovery_codes("u_mod", code_at(secret, clock))
    assert not set(new) & set(old)
    user = accounts.user("u_mod")
    with pytest.raises(InvalidInput):
        accounts.finish_second_factor(accounts.begin_second_factor(user, "/"), old[0])


def test_an_admin_reset_removes_the_second_factor(
    accounts: Accounts, clock: FixedClock, events: InMemoryEventStore
) -> None:
    enrol(accounts, clock)
    accounts.reset_second_factor("u_mod", actor=ADMIN, reason="lost phone")
    assert not accounts.second_factor_required(accounts.user("u_mod"))
    assert accounts.recovery_codes_left("u_mod") == 0
    assert kinds(events) == [SECOND_FACTOR_ENROLLED, RECOVERY_CODES_ISSUED, SECOND_FACTOR_RESET]
    # They may enrol a new authenticator now.
    assert accounts.start_enrolment("u_mod").secret


def test_the_sealed_secret_needs_the_service_key() -> None:
    sealed = SecretBox("one key").seal(SECRET)
    assert SecretBox("one key").open(sealed) == SECRET and SECRET not in sealed
    with pytest.raises(ConfigurationError, match="cannot be read with HUSTINGS_SECRET_KEY"):
        SecretBox("another key").open(sealed)
    assert "one key" not in repr(SecretBox("one key"))


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
RIGHT = {pyotp.TOTP(SECRET).at(T0, counter_offset=offset) for offset in (-1, 0, 1)}


@given(st.text(max_size=12) | st.sampled_from(sorted(RIGHT)).map(lambda code: f" {code[:3]} {code[3:]}"))
def test_no_text_but_a_code_of_the_window_is_accepted(typed: str) -> None:
    accepted = accepted_step(SECRET, typed, at=T0, after_step=None)
    assert (accepted is not None) == ("".join(typed.split()) in RIGHT)


# ---------------------------------------------------------------- the log


def test_account_events_name_who_and_what_and_carry_no_secret(
    accounts: Accounts, clock: FixedClock, events: InMemoryEventStore
) -> None:
    issued = accounts.issue_token("u_mod", actor=ADMIN, label="bot")
    secret, codes = enrol(accounts, clock)
    accounts.change_password("u_mod", current=PASSWORD, new="a new long passphrase", keep_session=None)
    accounts.disable("u_mod", actor=ADMIN)
    accounts.enable("u_mod", actor=ADMIN)
    logged = json.dumps([[e.actor, e.reason, dict(e.payload), e.idempotency_key] for e in events.events])
    for secret_text in (issued.token, secret, *codes, PASSWORD, "a new long passphrase"):
        assert secret_text not in logged
    assert all(e.subject_type == SUBJECT and e.subject_id == "u_mod" for e in events.events)
    assert [e.actor for e in events.events if e.kind in (ACCOUNT_DISABLED, ACCOUNT_ENABLED)] == [ADMIN, ADMIN]


def test_the_account_status_rebuilt_from_the_log_equals_the_incremental_one(
    accounts: Accounts, clock: FixedClock, events: InMemoryEventStore
) -> None:
    accounts.issue_token("u_mod", actor=ADMIN)
    enrol(accounts, clock)
    accounts.disable("u_mod", actor=ADMIN)
    accounts.enable("u_mod", actor=ADMIN)
    accounts.disable("u_mod", actor=ADMIN)
    rebuilt = fold(default_reducers(), events.events)
    assert rebuilt == events.statuses
    status = events.statuses[(SUBJECT, "u_mod")]
    assert status.state == "disabled" and status.data["second_factor"] is True
    assert status.data["recovery_codes_left"] == 10


def test_after_a_key_rotation_a_sealed_secret_opens_under_the_previous_key_and_reseals_under_the_new() -> (
    None
):
    sealed = SecretBox("old key").seal(SECRET)
    rotated = SecretBox("new key", previous=["old key"])
    assert rotated.open(sealed) == SECRET
    resealed = rotated.reseal(sealed)
    assert SecretBox("new key").open(resealed) == SECRET
    with pytest.raises(ConfigurationError, match="HUSTINGS_SECRET_KEY_PREVIOUS"):
        SecretBox("old key").open(resealed)
    with pytest.raises(ConfigurationError, match="HUSTINGS_SECRET_KEY_PREVIOUS"):
        SecretBox("another key").reseal(sealed)
    assert "old key" not in repr(rotated)


def test_staff_log_in_with_their_second_factor_across_a_key_rotation_and_resealing_retires_the_old_key(
    store: InMemoryAccountStore, events: InMemoryEventStore, clock: FixedClock
) -> None:
    def accounts_under(box: SecretBox) -> Accounts:
        return Accounts(store, EventLog(events, default_reducers()), clock, box, AccountPolicy())

    before = accounts_under(SecretBox("old key"))
    secret, _ = enrol(before, clock)
    before.start_enrolment("u_admin")  # a secret shown, not yet confirmed
    rotated = accounts_under(SecretBox("new key", previous=["old key"]))
    user = rotated.user("u_mod")
    assert (
        rotated.finish_second_factor(rotated.begin_second_factor(user, "/"), code_at(secret, clock))[0]
        == user
    )

    stored = store.second_factor("u_mod")
    assert rotated.reseal_second_factors() == 2
    assert store.second_factor("u_mod").last_step == stored.last_step  # a used code stays used
    assert rotated.reseal_second_factors() == 2  # safe to repeat
    retired = accounts_under(SecretBox("new key"))
    clock.advance(seconds=30)
    assert (
        retired.finish_second_factor(retired.begin_second_factor(user, "/"), code_at(secret, clock))[0]
        == user
    )
    pending = store.second_factor("u_admin").sealed_pending
    assert pending is not None and SecretBox("new key").open(pending)

    # A secret no configured key opens stops the resealing before anything is written.
    store.save_second_factor("u_del", replace(stored, sealed_secret=SecretBox("lost key").seal(SECRET)))
    untouched = store.second_factor("u_mod")
    with pytest.raises(ConfigurationError, match="cannot be read"):
        retired.reseal_second_factors()
    assert store.second_factor("u_mod") == untouched


def test_resealing_leaves_a_secret_changed_meanwhile_alone(store: InMemoryAccountStore) -> None:
    old = SecondFactorRecord(sealed_secret=SecretBox("old key").seal(SECRET))
    store.save_second_factor("u_mod", old)
    fresh = SecondFactorRecord(sealed_secret=SecretBox("new key").seal("ANOTHERSECRETXYZ"))
    store.save_second_factor("u_mod", fresh)  # re-enrolled between the read and the write
    assert not store.reseal_second_factor("u_mod", old, replace(old, sealed_secret="resealed"))
    assert store.second_factor("u_mod") == fresh
