"""Logging in safely: back-off after failed logins, the login form's CSRF token, trusted devices.

**Back-off.** Each failed login counts against up to three keys, and while any of them is
blocked a login is refused (HTTP 429 with ``Retry-After``) without its password being checked:

| key | free failures | then each further failure blocks for | at most |
|---|---|---|---|
| the name from this address | 5 | 1 s, 2 s, 4 s... | 15 minutes |
| this address, any names (an IPv6 address counts by its /64) | 30 | 1 s, 2 s, 4 s... | 15 minutes |
| the name, from any address | 10 | 1 s, 2 s, 4 s... | 60 seconds |

A refused login counts nothing, so hammering a blocked key does not lengthen its block. A
complete login clears the name's keys (not the address's). Failures older than a day are
forgotten.

**The second factor.** For a user with one, the right password is not yet a success: it counts
nothing and clears nothing, and the login is settled by the code that follows. A wrong code
counts as a failure against the same keys (the user's name, this address, or this trusted
device), a code is not checked while any of them is blocked, and only the right code clears
them. Someone who has the password therefore gets no more guesses at the code than at a
password.

**Not locking a real user out.** An attacker who knows a user's name can keep the name-wide key
blocked, so that key is capped at a minute, and a browser that has logged in as that name
before (it holds a *trusted-device* cookie, signed with the secret key and bound to the name)
skips all three keys: its own failures count against that device alone (5 free, then up to
15 minutes). A real user at their usual browser is therefore never blocked by someone else's
guesses; on a new browser away from the attacker's address, at most a minute at a time. The price: a
distributed attacker gets about one guess a minute at a name, and the password policy
(`hustings.auth.passwords`) puts 10^8 guesses between them and any password it accepts.

**Unknown names** are keyed, counted and answered exactly like real ones, and their password is
checked against a dummy hash (`verify_password`), so neither the answer nor its timing says
whether a name exists. Keys are HMACs under the secret key: what someone typed as a user name
(sometimes their password) is never stored.

The rules decide from a `BackoffStore`; `MemoryBackoffStore` is its in-memory twin and
`hustings.storage.login.SqlBackoffStore` keeps the state in the database, so it holds across
requests, processes and restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class BackoffRule:
    """How many failures a key may have for free, and the longest block that follows."""

    scope: str
    free_failures: int
    longest: timedelta
    first: timedelta = timedelta(seconds=1)

    def block_after(self, failures: int) -> timedelta:
        """How long the key is blocked once it has `failures` failures: doubling, up to `longest`."""
        beyond = failures - self.free_failures
        if beyond <= 0:
            return timedelta(0)
        if beyond > 32:  # 2**32 seconds is far past any cap; spare the arithmetic
            return self.longest
        return min(self.longest, self.first * (1 << (beyond - 1)))


NAME_AT_ADDRESS = BackoffRule("pair", free_failures=5, longest=timedelta(minutes=15))
ADDRESS = BackoffRule("address", free_failures=30, longest=timedelta(minutes=15))
NAME = BackoffRule("account", free_failures=10, longest=timedelta(seconds=60))
TRUSTED_DEVICE = BackoffRule("device", free_failures=5, longest=timedelta(minutes=15))


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """One login: the name typed, where it came from, and the trusted-device id its browser holds
    for that name (see `device_id`), if any."""

    name: str
    address: str
    device: str | None = None


@dataclass(frozen=True, slots=True)
class BackoffState:
    failures: int
    updated_at: datetime
    blocked_until: datetime | None = None


class BackoffStore(Protocol):
    """Where back-off state lives. Never commits: the caller owns the transaction."""

    def states(self, keys: Sequence[str]) -> dict[str, BackoffState]:
        """The state of each key that has one."""

    def lock(self, keys: Sequence[str], *, now: datetime) -> dict[str, BackoffState]:
        """The state of each key (a new key starts at no failures, touched `now`), held until the
        transaction ends, so that concurrent logins on one key are settled one after another."""

    def save(self, key: str, state: BackoffState) -> None: ...

    def clear(self, keys: Sequence[str]) -> None: ...

    def forget(self, before: datetime) -> None:
        """Drop every key not touched since `before`."""


class MemoryBackoffStore:
    """The in-memory twin of the SQL store, for domain tests."""

    def __init__(self) -> None:
        self.rows: dict[str, BackoffState] = {}

    def states(self, keys: Sequence[str]) -> dict[str, BackoffState]:
        return {key: self.rows[key] for key in keys if key in self.rows}

    def lock(self, keys: Sequence[str], *, now: datetime) -> dict[str, BackoffState]:
        for key in keys:
            self.rows.setdefault(key, BackoffState(failures=0, updated_at=now))
        return self.states(keys)

    def save(self, key: str, state: BackoffState) -> None:
        self.rows[key] = state

    def clear(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.rows.pop(key, None)

    def forget(self, before: datetime) -> None:
        self.rows = {key: state for key, state in self.rows.items() if state.updated_at >= before}


def _subkey(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), f"hustings login {purpose}".encode(), hashlib.sha256).digest()


def _mac(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\x1f".join(parts).encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _same(sent: str, expected: str) -> bool:
    """Constant-time equality that also takes what a client sent in any characters."""
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


class LoginBackoff:
    """The back-off rules over a store. A login asks `wait` before checking the password and
    `settle` after; each returns the seconds to wait when the login must be refused."""

    def __init__(self, store: BackoffStore, *, secret: str) -> None:
        self.store = store
        self._key = _subkey(secret, "backoff")

    def keys(self, attempt: LoginAttempt) -> list[tuple[str, BackoffRule]]:
        """The keys this attempt counts against, sorted so that locks are always taken in one order."""
        if attempt.device is not None:
            keyed = [(TRUSTED_DEVICE, _mac(self._key, "device", attempt.name, attempt.device))]
        else:
            keyed = [
                (NAME_AT_ADDRESS, _mac(self._key, "pair", attempt.name, attempt.address)),
                (ADDRESS, _mac(self._key, "address", attempt.address)),
                (NAME, _mac(self._key, "account", attempt.name)),
            ]
        return sorted((f"{rule.scope}:{digest}", rule) for rule, digest in keyed)

    def wait(self, attempt: LoginAttempt, now: datetime) -> int | None:
        """Seconds until this attempt may be tried, or None if it may be tried now."""
        keys = [key for key, _ in self.keys(attempt)]
        return _seconds_blocked(self.store.states(keys), now)

    def settle(
        self, attempt: LoginAttempt, now: datetime, *, succeeded: bool, complete: bool = True
    ) -> int | None:
        """Record the outcome of a checked password or second-factor code, or refuse it if a
        concurrent attempt has blocked a key meanwhile (the outcome is then not revealed, and
        nothing is counted).

        A success clears the name's keys only when it completes the login: a right password
        with a second factor still to come (`complete=False`) counts nothing and clears nothing.
        """
        keyed = self.keys(attempt)
        states = self.store.lock([key for key, _ in keyed], now=now)
        refused = _seconds_blocked(states, now)
        if refused is not None:
            return refused
        if succeeded and not complete:
            return None
        if succeeded:
            self.store.clear([key for key, rule in keyed if rule is not ADDRESS])
            return None
        for key, rule in keyed:
            self.store.save(key, _failed(states.get(key), rule, now))
        self.store.forget(before=now - FORGET_AFTER)
        return None


def _failed(state: BackoffState | None, rule: BackoffRule, now: datetime) -> BackoffState:
    earlier = 0 if state is None or state.updated_at < now - FORGET_AFTER else state.failures
    failures = earlier + 1
    block = rule.block_after(failures)
    return BackoffState(failures=failures, updated_at=now, blocked_until=now + block if block else None)


def _seconds_blocked(states: dict[str, BackoffState], now: datetime) -> int | None:
    until = max((s.blocked_until for s in states.values() if s.blocked_until is not None), default=None)
    if until is None or until <= now:
        return None
    return max(1, math.ceil((until - now).total_seconds()))


def address_group(host: str | None) -> str:
    """The address a login is counted under: an IPv4 address, or an IPv6 address's /64 (one
    household or one machine can have a whole /64 to itself)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def name_fingerprint(secret: str, name: str) -> str:
    """A short stand-in for a name that matches no user, for the access log: attempts on one
    name can be told apart from attempts on another without storing what was typed."""
    return _mac(_subkey(secret, "unknown name"), name)[:12]


# ---------------------------------------------------------------- the login form's CSRF token


def new_form_nonce() -> str:
    """The random value the login form's cookie carries."""
    return secrets.token_urlsafe(24)


def form_token(secret: str, nonce: str) -> str:
    """The CSRF token the login form carries for the cookie's `nonce` (a signed double submit:
    another site can neither read the cookie nor make a token that matches it)."""
    return _mac(_subkey(secret, "form"), nonce)


def form_token_matches(secret: str, nonce: str | None, sent: str | None) -> bool:
    if not nonce or not sent:
        return False
    return _same(sent, form_token(secret, nonce))


# ---------------------------------------------------------------- trusted devices


def new_device_cookie(secret: str, name: str) -> str:
    """The cookie a browser gets when it logs in as `name`: a random id and its signature."""
    device = secrets.token_urlsafe(16)
    return f"{device}.{_mac(_subkey(secret, 'device'), name, device)}"


def device_id(secret: str, name: str, cookie: str | None) -> str | None:
    """The device id in `cookie` if it was signed by us for `name`; None otherwise."""
    if not cookie:
        return None
    device, _, signature = cookie.partition(".")
    if not device or not _same(signature, _mac(_subkey(secret, "device"), name, device)):
        return None
    return device
