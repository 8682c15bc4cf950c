"""Users, API tokens, browser sessions and the access log in SQL."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hustings.auth.accounts import ApiToken, LoginChallenge, SecondFactorRecord, new_token_id
from hustings.auth.model import Role, User, hash_password, hash_token, new_token, verify_password
from hustings.auth.passwords import check_new_password
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.storage.accounts_tables import LoginChallengeRow, RecoveryCodeRow
from hustings.storage.tables import (
    AccessLogRow,
    ApiTokenRow,
    TargetRow,
    UserRow,
    UserTargetRow,
    WebSessionRow,
)


class UserStore:
    """Users, their credentials, sessions and the access log; the `AccountStore` of `Accounts`.

    Never commits: the caller owns the transaction.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def _to_user(self, row: UserRow) -> User:
        target_ids = tuple(
            self.session.scalars(
                select(UserTargetRow.target_id)
                .where(UserTargetRow.user_id == row.id)
                .order_by(UserTargetRow.target_id)
            )
        )
        return User(
            id=row.id,
            name=row.name,
            roles=frozenset(Role(role) for role in row.roles),
            display_name=row.display_name,
            target_ids=target_ids,
            disabled=row.disabled,
            second_factor=row.second_factor_secret is not None,
            organisation=row.organisation,
        )

    def create(
        self,
        name: str,
        roles: set[Role],
        *,
        now: datetime,
        display_name: str = "",
        password: str | None = None,
        target_ids: tuple[str, ...] = (),
        organisation: str = "",
    ) -> User:
        name = name.strip()
        organisation = _organisation(organisation)
        if not name or len(name) > 120:
            raise InvalidInput("name: must be 1 to 120 characters")
        if not roles:
            raise InvalidInput("role: a user needs at least one role")
        if self.session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
            raise Conflict(f"name: a user called {name!r} already exists")
        for target_id in target_ids:
            if self.session.get(TargetRow, target_id) is None:
                raise NotFound(f"target: no target with id {target_id!r}")
        if password:
            check_new_password(password, user_inputs=(name, display_name))
        row = UserRow(
            id="u_" + uuid.uuid4().hex[:16],
            name=name,
            display_name=display_name or name,
            roles=sorted(role.value for role in roles),
            password_hash=hash_password(password) if password else None,
            disabled=False,
            created_at=now,
            organisation=organisation,
        )
        self.session.add(row)
        self.session.flush()
        for target_id in target_ids:
            self.session.add(UserTargetRow(user_id=row.id, target_id=target_id))
        self.session.flush()
        return self._to_user(row)

    def get(self, user_id: str) -> User | None:
        row = self.session.get(UserRow, user_id)
        return None if row is None else self._to_user(row)

    def by_name(self, name: str) -> User | None:
        row = self.session.scalar(select(UserRow).where(UserRow.name == name))
        return None if row is None else self._to_user(row)

    def all(self) -> list[User]:
        return [self._to_user(row) for row in self.session.scalars(select(UserRow).order_by(UserRow.name))]

    def set_organisation(self, user_id: str, organisation: str) -> User:
        row = self.session.get(UserRow, user_id)
        if row is None:
            raise NotFound(f"user: no user with id {user_id!r}")
        row.organisation = _organisation(organisation)
        self.session.flush()
        return self._to_user(row)

    def set_password(self, user_id: str, password: str) -> None:
        row = self.session.get(UserRow, user_id)
        if row is None:
            raise NotFound(f"user: no user with id {user_id!r}")
        check_new_password(password, user_inputs=(row.name, row.display_name))
        row.password_hash = hash_password(password)

    def check_password(self, name: str, password: str) -> User | None:
        row = self.session.scalar(select(UserRow).where(UserRow.name == name))
        # The hash is checked even for an unknown name (against a dummy), so both take as long.
        matches = verify_password(password, row.password_hash if row is not None else None)
        if row is None or row.disabled or not matches:
            return None
        return self._to_user(row)

    def issue_token(
        self, user_id: str, *, now: datetime, expires_at: datetime | None, label: str = ""
    ) -> str:
        """Store a new API token and return it (once; only its hash is kept).

        Low level: no event and no default lifetime. Issue tokens with `Accounts.issue_token`.
        """
        token = new_token()
        self.insert_token(
            ApiToken(id=new_token_id(), user_id=user_id, label=label, created_at=now, expires_at=expires_at),
            hash_token(token),
        )
        return token

    def open_session(self, user_id: str, *, now: datetime, hours: int) -> tuple[str, str]:
        """Start a browser session; return (session id for the cookie, CSRF token)."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        self.session.add(
            WebSessionRow(
                id_hash=hash_token(session_id),
                user_id=user_id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
        self.session.flush()
        return session_id, csrf

    def by_session(self, session_id: str, *, now: datetime) -> tuple[User, str] | None:
        row = self.session.get(WebSessionRow, hash_token(session_id))
        if row is None or row.expires_at <= now:
            return None
        user = self.session.get(UserRow, row.user_id)
        if user is None or user.disabled:
            return None
        return self._to_user(user), row.csrf_token

    def close_session(self, session_id: str) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == hash_token(session_id)))

    # -------------------------------------------------------- AccountStore (hustings.auth.accounts)

    def set_disabled(self, user_id: str, disabled: bool) -> None:
        self._row(user_id).disabled = disabled

    def set_roles(self, user_id: str, roles: frozenset[Role]) -> None:
        self._row(user_id).roles = sorted(role.value for role in roles)

    def password_matches(self, user_id: str, password: str) -> bool:
        return verify_password(password, self._row(user_id).password_hash)

    def end_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        ended = delete(WebSessionRow).where(WebSessionRow.user_id == user_id)
        if keep is not None:
            ended = ended.where(WebSessionRow.id_hash != hash_token(keep))
        count = _changed(self.session.execute(ended))
        self.session.execute(delete(LoginChallengeRow).where(LoginChallengeRow.user_id == user_id))
        return count

    def insert_token(self, token: ApiToken, token_hash: str) -> None:
        self.session.add(
            ApiTokenRow(
                token_hash=token_hash,
                token_id=token.id,
                user_id=token.user_id,
                label=token.label,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )
        self.session.flush()

    def token(self, token_id: str) -> ApiToken | None:
        row = self.session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_id == token_id))
        return None if row is None else _to_token(row)

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self.session.get(ApiTokenRow, token_hash)
        return None if row is None else _to_token(row)

    def tokens(self, user_id: str | None = None) -> list[ApiToken]:
        query = select(ApiTokenRow).order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.token_id)
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        return [_to_token(row) for row in self.session.scalars(query)]

    def revoke_token(self, token_id: str, *, at: datetime, by: str) -> None:
        self.session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.token_id == token_id, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=at, revoked_by=by)
        )

    def second_factor(self, user_id: str) -> SecondFactorRecord:
        row = self._row(user_id)
        return SecondFactorRecord(
            sealed_secret=row.second_factor_secret,
            sealed_pending=row.second_factor_pending,
            last_step=row.second_factor_last_step,
        )

    def save_second_factor(self, user_id: str, record: SecondFactorRecord) -> None:
        row = self._row(user_id)
        row.second_factor_secret = record.sealed_secret
        row.second_factor_pending = record.sealed_pending
        row.second_factor_last_step = record.last_step
        self.session.flush()

    def sealed_second_factors(self) -> dict[str, SecondFactorRecord]:
        rows = self.session.execute(
            select(
                UserRow.id,
                UserRow.second_factor_secret,
                UserRow.second_factor_pending,
                UserRow.second_factor_last_step,
            ).where(
                or_(UserRow.second_factor_secret.is_not(None), UserRow.second_factor_pending.is_not(None))
            )
        )
        return {
            user_id: SecondFactorRecord(sealed_secret=secret, sealed_pending=pending, last_step=step)
            for user_id, secret, pending, step in rows
        }

    def reseal_second_factor(
        self, user_id: str, before: SecondFactorRecord, after: SecondFactorRecord
    ) -> bool:
        # Compare and set: a secret enrolled or reset meanwhile is not overwritten with the old one.
        result = self.session.execute(
            update(UserRow)
            .where(
                UserRow.id == user_id,
                _is(UserRow.second_factor_secret, before.sealed_secret),
                _is(UserRow.second_factor_pending, before.sealed_pending),
            )
            .values(second_factor_secret=after.sealed_secret, second_factor_pending=after.sealed_pending)
            .execution_options(synchronize_session="fetch")
        )
        return _changed(result) > 0

    def advance_step(self, user_id: str, step: int) -> bool:
        # One conditional UPDATE: of two requests racing with the same code, only one changes the row.
        result = self.session.execute(
            update(UserRow)
            .where(
                UserRow.id == user_id,
                or_(UserRow.second_factor_last_step.is_(None), UserRow.second_factor_last_step < step),
            )
            .values(second_factor_last_step=step)
            .execution_options(synchronize_session="fetch")
        )
        return _changed(result) > 0

    def replace_recovery_codes(self, user_id: str, code_hashes: list[str]) -> None:
        self.session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
        self.session.add_all(RecoveryCodeRow(user_id=user_id, code_hash=code) for code in code_hashes)
        self.session.flush()

    def use_recovery_code(self, user_id: str, code_hash: str, *, at: datetime) -> bool:
        result = self.session.execute(
            update(RecoveryCodeRow)
            .where(
                RecoveryCodeRow.user_id == user_id,
                RecoveryCodeRow.code_hash == code_hash,
                RecoveryCodeRow.used_at.is_(None),
            )
            .values(used_at=at)
        )
        return _changed(result) > 0

    def recovery_codes_left(self, user_id: str) -> int:
        return len(
            self.session.scalars(
                select(RecoveryCodeRow.code_hash).where(
                    RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None)
                )
            ).all()
        )

    def open_challenge(self, challenge_hash: str, challenge: LoginChallenge) -> None:
        self.session.add(
            LoginChallengeRow(
                id_hash=challenge_hash,
                user_id=challenge.user_id,
                next_path=challenge.next_path,
                expires_at=challenge.expires_at,
                failures=challenge.failures,
            )
        )
        self.session.flush()

    def challenge(self, challenge_hash: str) -> LoginChallenge | None:
        row = self.session.get(LoginChallengeRow, challenge_hash)
        if row is None:
            return None
        return LoginChallenge(
            user_id=row.user_id, next_path=row.next_path, expires_at=row.expires_at, failures=row.failures
        )

    def count_challenge_failure(self, challenge_hash: str) -> None:
        self.session.execute(
            update(LoginChallengeRow)
            .where(LoginChallengeRow.id_hash == challenge_hash)
            .values(failures=LoginChallengeRow.failures + 1)
        )

    def close_challenge(self, challenge_hash: str) -> None:
        self.session.execute(delete(LoginChallengeRow).where(LoginChallengeRow.id_hash == challenge_hash))

    def _row(self, user_id: str) -> UserRow:
        row = self.session.get(UserRow, user_id)
        if row is None:
            raise NotFound(f"user: no user with id {user_id!r}")
        return row

    def record_access(self, user_id: str, action: str, resource: str, *, now: datetime) -> None:
        self.session.add(AccessLogRow(user_id=user_id, action=action, resource=resource[:500], at=now))

    def access_log(self, limit: int = 200) -> list[AccessLogRow]:
        return list(self.session.scalars(select(AccessLogRow).order_by(AccessLogRow.id.desc()).limit(limit)))


def _to_token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.token_id,
        user_id=row.user_id,
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


def _changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed (its result is a cursor result)."""
    return int(cast(CursorResult[Any], result).rowcount)


def _is(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _organisation(organisation: str) -> str:
    organisation = organisation.strip()
    if len(organisation) > 200:
        raise InvalidInput("organisation: at most 200 characters")
    return organisation
