"""An `AccountStore` in plain dicts, so the account service's tests need no database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from hustings.auth.accounts import ApiToken, LoginChallenge, SecondFactorRecord
from hustings.auth.model import Role, User, hash_password, hash_token, verify_password


@dataclass
class _Account:
    user: User
    password_hash: str | None
    sessions: set[str] = field(default_factory=set)
    second_factor: SecondFactorRecord = field(default_factory=SecondFactorRecord)
    recovery: dict[str, datetime | None] = field(default_factory=dict)


class InMemoryAccountStore:
    def __init__(self) -> None:
        self.accounts: dict[str, _Account] = {}
        self.token_rows: dict[str, tuple[ApiToken, str]] = {}
        self.challenges: dict[str, LoginChallenge] = {}

    # Set-up helpers for tests: the SQL store's equivalents live in `UserStore`.
    def add_user(self, user_id: str, roles: set[Role], password: str | None = None) -> User:
        user = User(id=user_id, name=user_id, roles=frozenset(roles))
        self.accounts[user_id] = _Account(user, hash_password(password) if password else None)
        return user

    def open_session(self, user_id: str) -> str:
        session_id = f"s{len(self.accounts[user_id].sessions)}:{user_id}"
        self.accounts[user_id].sessions.add(hash_token(session_id))
        return session_id

    def session_open(self, user_id: str, session_id: str) -> bool:
        return hash_token(session_id) in self.accounts[user_id].sessions

    # AccountStore
    def get(self, user_id: str) -> User | None:
        account = self.accounts.get(user_id)
        if account is None:
            return None
        return replace(account.user, second_factor=account.second_factor.enrolled)

    def set_disabled(self, user_id: str, disabled: bool) -> None:
        account = self.accounts[user_id]
        account.user = replace(account.user, disabled=disabled)

    def set_roles(self, user_id: str, roles: frozenset[Role]) -> None:
        account = self.accounts[user_id]
        account.user = replace(account.user, roles=roles)

    def password_matches(self, user_id: str, password: str) -> bool:
        return verify_password(password, self.accounts[user_id].password_hash)

    def set_password(self, user_id: str, password: str) -> None:
        self.accounts[user_id].password_hash = hash_password(password)

    def end_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        account = self.accounts[user_id]
        kept = {hash_token(keep)} & account.sessions if keep else set()
        ended = len(account.sessions - kept)
        account.sessions = kept
        for key in [key for key, held in self.challenges.items() if held.user_id == user_id]:
            del self.challenges[key]
        return ended

    def insert_token(self, token: ApiToken, token_hash: str) -> None:
        self.token_rows[token.id] = (token, token_hash)

    def token(self, token_id: str) -> ApiToken | None:
        row = self.token_rows.get(token_id)
        return None if row is None else row[0]

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        return next((token for token, held in self.token_rows.values() if held == token_hash), None)

    def tokens(self, user_id: str | None = None) -> list[ApiToken]:
        found = [t for t, _ in self.token_rows.values() if user_id is None or t.user_id == user_id]
        return sorted(found, key=lambda t: t.created_at, reverse=True)

    def revoke_token(self, token_id: str, *, at: datetime, by: str) -> None:
        token, held = self.token_rows[token_id]
        self.token_rows[token_id] = (replace(token, revoked_at=at, revoked_by=by), held)

    def second_factor(self, user_id: str) -> SecondFactorRecord:
        return self.accounts[user_id].second_factor

    def save_second_factor(self, user_id: str, record: SecondFactorRecord) -> None:
        self.accounts[user_id].second_factor = record

    def sealed_second_factors(self) -> dict[str, SecondFactorRecord]:
        return {
            user_id: account.second_factor
            for user_id, account in self.accounts.items()
            if account.second_factor.sealed_secret or account.second_factor.sealed_pending
        }

    def reseal_second_factor(
        self, user_id: str, before: SecondFactorRecord, after: SecondFactorRecord
    ) -> bool:
        stored = self.accounts[user_id].second_factor
        if (stored.sealed_secret, stored.sealed_pending) != (before.sealed_secret, before.sealed_pending):
            return False
        self.accounts[user_id].second_factor = replace(
            stored, sealed_secret=after.sealed_secret, sealed_pending=after.sealed_pending
        )
        return True

    def advance_step(self, user_id: str, step: int) -> bool:
        record = self.accounts[user_id].second_factor
        if record.last_step is not None and step <= record.last_step:
            return False
        self.accounts[user_id].second_factor = replace(record, last_step=step)
        return True

    def replace_recovery_codes(self, user_id: str, code_hashes: list[str]) -> None:
        self.accounts[user_id].recovery = dict.fromkeys(code_hashes)

    def use_recovery_code(self, user_id: str, code_hash: str, *, at: datetime) -> bool:
        codes = self.accounts[user_id].recovery
        if code_hash not in codes or codes[code_hash] is not None:
            return False
        codes[code_hash] = at
        return True

    def recovery_codes_left(self, user_id: str) -> int:
        return sum(1 for used in self.accounts[user_id].recovery.values() if used is None)

    def open_challenge(self, challenge_hash: str, challenge: LoginChallenge) -> None:
        self.challenges[challenge_hash] = challenge

    def challenge(self, challenge_hash: str) -> LoginChallenge | None:
        return self.challenges.get(challenge_hash)

    def count_challenge_failure(self, challenge_hash: str) -> None:
        held = self.challenges[challenge_hash]
        self.challenges[challenge_hash] = replace(held, failures=held.failures + 1)

    def close_challenge(self, challenge_hash: str) -> None:
        self.challenges.pop(challenge_hash, None)
