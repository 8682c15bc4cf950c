"""The login back-off rules on the in-memory store: when a login is refused, for how long, what
a success clears, what a trusted device escapes, and that refusals never lengthen a block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hustings.auth.login import (
    ADDRESS,
    NAME,
    NAME_AT_ADDRESS,
    BackoffRule,
    LoginAttempt,
    LoginBackoff,
    MemoryBackoffStore,
    address_group,
    device_id,
    form_token,
    form_token_matches,
    new_device_cookie,
)

T0 = datetime(2026, 5, 7, 9, 0, tzinfo=UTC)
SECRET = "a test secret that is long enough"
ADA = LoginAttempt("ada", "203.0.113.5")


def fail(backoff: LoginBackoff, attempt: LoginAttempt, now: datetime) -> int | None:
    """One wrong password, the way the login route asks: wait, then settle."""
    return backoff.wait(attempt, now) or backoff.settle(attempt, now, succeeded=False)


def test_the_block_doubles_from_one_second_up_to_the_cap() -> None:
    blocks = [NAME_AT_ADDRESS.block_after(n).total_seconds() for n in range(1, 20)]
    assert blocks[:5] == [0, 0, 0, 0, 0]  # five free failures
    assert blocks[5:10] == [1, 2, 4, 8, 16]
    assert max(blocks) == 15 * 60 and blocks[-1] == 15 * 60
    assert NAME.block_after(10_000) == timedelta(seconds=60)  # the name-wide key is capped at a minute


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=50))
def test_blocks_never_shrink_as_failures_grow_and_never_pass_the_cap(failures: int, free: int) -> None:
    rule = BackoffRule("x", free_failures=free, longest=timedelta(minutes=15))
    assert timedelta(0) <= rule.block_after(failures) <= rule.block_after(failures + 1) <= rule.longest


def test_six_wrong_passwords_block_the_name_at_that_address_then_time_lifts_it() -> None:
    backoff = LoginBackoff(MemoryBackoffStore(), secret=SECRET)
    assert [fail(backoff, ADA, T0) for _ in range(6)] == [None] * 6  # each of these was checked
    assert backoff.wait(ADA, T0) == 1
    assert backoff.wait(ADA, T0 + timedelta(seconds=1)) is None
    assert fail(backoff, ADA, T0 + timedelta(seconds=1)) is None  # the 7th is checked, and blocks 2 s
    assert backoff.wait(ADA, T0 + timedelta(seconds=1)) == 2


def test_refused_attempts_count_nothing() -> None:
    backoff = LoginBackoff(MemoryBackoffStore(), secret=SECRET)
    for _ in range(6):
        fail(backoff, ADA, T0)
    for _ in range(1000):  # hammering a blocked key
        assert fail(backoff, ADA, T0) == 1
    later = T0 + timedelta(seconds=1)
    fail(backoff, ADA, later)
    assert backoff.wait(ADA, later) == 2  # the 7th failure, not the 1006th


def test_a_success_clears_the_name_but_not_the_address() -> None:
    store = MemoryBackoffStore()
    backoff = LoginBackoff(store, secret=SECRET)
    for _ in range(3):
        fail(backoff, ADA, T0)
    assert backoff.settle(ADA, T0, succeeded=True) is None
    left = {key.split(":")[0]: state.failures for key, state in store.rows.items()}
    assert left == {"address": 3}


def test_a_right_password_with_a_code_to_come_neither_clears_nor_counts() -> None:
    store = MemoryBackoffStore()
    backoff = LoginBackoff(store, secret=SECRET)
    for _ in range(5):
        fail(backoff, ADA, T0)
    before = dict(store.rows)
    assert backoff.settle(ADA, T0, succeeded=True, complete=False) is None
    assert store.rows == before
    assert fail(backoff, ADA, T0) is None  # a wrong code: the sixth failure...
    assert backoff.wait(ADA, T0) == 1  # ...blocks, the right password before it notwithstanding
    assert backoff.settle(ADA, T0 + timedelta(seconds=1), succeeded=True) is None  # the right code
    assert {key.split(":")[0] for key in store.rows} == {"address"}


def test_one_address_trying_many_names_is_blocked_after_thirty_failures() -> None:
    backoff = LoginBackoff(MemoryBackoffStore(), secret=SECRET)
    for n in range(ADDRESS.free_failures + 1):
        assert fail(backoff, LoginAttempt(f"name{n}", "198.51.100.7"), T0) is None
    assert backoff.wait(LoginAttempt("somebody-new", "198.51.100.7"), T0) == 1
    assert backoff.wait(LoginAttempt("somebody-new", "198.51.100.8"), T0) is None  # another address


def test_many_addresses_on_one_name_block_it_for_a_minute_at_most() -> None:
    backoff = LoginBackoff(MemoryBackoffStore(), secret=SECRET)
    for n in range(200):
        fail(backoff, LoginAttempt("ada", f"192.0.2.{n}"), T0 + timedelta(minutes=n))
    now = T0 + timedelta(minutes=199)
    assert backoff.wait(LoginAttempt("ada", "192.0.2.250"), now) == 60


def test_a_trusted_device_is_not_blocked_by_anyone_elses_failures() -> None:
    backoff = LoginBackoff(MemoryBackoffStore(), secret=SECRET)
    for n in range(200):  # attackers on many addresses, and at the user's own address
        fail(backoff, LoginAttempt("ada", f"192.0.2.{n}"), T0)
        fail(backoff, ADA, T0)
    assert backoff.wait(ADA, T0) is not None
    mine = LoginAttempt("ada", ADA.address, device="her-laptop")
    assert backoff.wait(mine, T0) is None
    assert backoff.settle(mine, T0, succeeded=True) is None


def test_a_trusted_device_has_its_own_back_off() -> None:
    backoff = LoginBackoff(MemoryBackoffStore(), secret=SECRET)
    mine = LoginAttempt("ada", ADA.address, device="her-laptop")
    for _ in range(6):
        fail(backoff, mine, T0)
    assert backoff.wait(mine, T0) == 1
    assert backoff.wait(LoginAttempt("ada", ADA.address, device="her-phone"), T0) is None


def test_a_concurrent_block_refuses_a_checked_attempt_without_counting_it() -> None:
    store = MemoryBackoffStore()
    backoff = LoginBackoff(store, secret=SECRET)
    for _ in range(5):
        fail(backoff, ADA, T0)
    assert backoff.wait(ADA, T0) is None  # two attempts pass the first look at once...
    assert backoff.settle(ADA, T0, succeeded=False) is None  # ...the first settles and blocks...
    before = dict(store.rows)
    assert backoff.settle(ADA, T0, succeeded=True) == 1  # ...so the second is refused, right or not
    assert store.rows == before


def test_failures_are_forgotten_after_a_day() -> None:
    store = MemoryBackoffStore()
    backoff = LoginBackoff(store, secret=SECRET)
    for _ in range(8):
        fail(backoff, ADA, T0 + timedelta(minutes=30))
    tomorrow = T0 + timedelta(days=2)
    assert backoff.wait(ADA, tomorrow) is None
    fail(backoff, LoginAttempt("bob", "192.0.2.1"), tomorrow)  # any failure sweeps out stale keys
    assert all(state.updated_at == tomorrow for state in store.rows.values())
    fail(backoff, ADA, tomorrow)
    assert max(state.failures for state in store.rows.values()) == 1


def test_keys_never_contain_what_was_typed() -> None:
    store = MemoryBackoffStore()
    fail(LoginBackoff(store, secret=SECRET), LoginAttempt("my-password-by-mistake", "203.0.113.5"), T0)
    assert store.rows and not any("my-password" in key or "203.0.113" in key for key in store.rows)


@pytest.mark.parametrize(
    ("host", "group"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same household
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("testclient", "testclient"),
        (None, "unknown"),
    ],
)
def test_addresses_are_grouped_as_an_attacker_holds_them(host: str | None, group: str) -> None:
    assert address_group(host) == group


def test_the_form_token_belongs_to_its_cookie_and_the_secret() -> None:
    token = form_token(SECRET, "nonce-in-the-cookie")
    assert form_token_matches(SECRET, "nonce-in-the-cookie", token)
    assert not form_token_matches(SECRET, "another-cookie", token)
    assert not form_token_matches("another secret", "nonce-in-the-cookie", token)
    assert not form_token_matches(SECRET, None, token)
    assert not form_token_matches(SECRET, "nonce-in-the-cookie", "")
    assert not form_token_matches(SECRET, "nonce-in-the-cookie", "é" + token[1:])  # any characters


def test_a_device_cookie_is_trusted_only_for_its_name_and_signature() -> None:
    cookie = new_device_cookie(SECRET, "ada")
    device = device_id(SECRET, "ada", cookie)
    assert device is not None and cookie.startswith(device + ".")
    assert device_id(SECRET, "bob", cookie) is None
    assert device_id("another secret", "ada", cookie) is None
    assert device_id(SECRET, "ada", device + ".0000") is None
    assert device_id(SECRET, "ada", "") is None and device_id(SECRET, "ada", None) is None
