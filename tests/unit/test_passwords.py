"""The password policy: long enough, not common, not built from the user's own name."""

from __future__ import annotations

import pytest

from hustings.auth.passwords import MAX_LENGTH, MIN_LENGTH, check_new_password
from hustings.errors import InvalidInput


@pytest.mark.parametrize("password", ["a", "1", "admin", "hunter2", "x" * (MIN_LENGTH - 1)])
def test_short_passwords_are_refused_naming_the_field(password: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^password: must be at least {MIN_LENGTH} characters"):
        check_new_password(password)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password1234", "very common password"),
        ("qwertyuiop12", "similar to a commonly used password"),
        ("iloveyou2024", "similar to a commonly used password"),
        ("aaaaaaaaaaaaaaaa", "Repeats"),
        ("abcdefghijklmn", "Sequences"),
    ],
)
def test_common_and_patterned_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=r"^password: too easy to guess") as raised:
        check_new_password(password)
    assert why in str(raised.value)


def test_a_password_made_of_the_users_own_name_is_refused() -> None:
    check_new_password("priyaraman1974")  # a name zxcvbn does not know, joined to a year
    with pytest.raises(InvalidInput, match="too easy to guess"):
        check_new_password("priyaraman1974", user_inputs=("priyaraman",))


def test_overlong_passwords_are_refused() -> None:
    with pytest.raises(InvalidInput, match=rf"at most {MAX_LENGTH} characters"):
        check_new_password("correct horse battery staple " * 10)


@pytest.mark.parametrize(
    "password", ["correct-horse-battery", "a long passphrase", "Tr0ub4dor&3x", "hustings-demo-2026"]
)
def test_long_uncommon_passwords_pass(password: str) -> None:
    check_new_password(password)


@pytest.mark.parametrize("length", [73, 100, MAX_LENGTH])
def test_passwords_longer_than_zxcvbn_scores_are_judged_not_crashed(length: int) -> None:
    # zxcvbn refuses over 72 characters of its own accord; only a prefix is scored.
    check_new_password(("vintage kettle orbits mauve " * 8)[:length])
    with pytest.raises(InvalidInput, match="too easy to guess"):
        check_new_password("0" * length)
