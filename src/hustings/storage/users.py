"""Users, API tokens, browser sessions and the access log in SQL."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hustings.auth.model import Role, User, hash_password, hash_token, new_token, verify_password
from hustings.auth.passwords import check_new_password
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.storage.tables import (
    AccessLogRow,
    ApiTokenRow,
    TargetRow,
    UserRow,
    UserTargetRow,
    WebSessionRow,
)


class UserStore:
    """Never commits: the caller owns the transaction."""

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
    ) -> User:
        name = name.strip()
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

    def issue_token(self, user_id: str, *, now: datetime, label: str = "") -> str:
        """Create an API token for the user; the token itself is returned once and stored hashed."""
        token = new_token()
        self.session.add(
            ApiTokenRow(token_hash=hash_token(token), user_id=user_id, label=label, created_at=now)
        )
        self.session.flush()
        return token

    def by_token(self, token: str) -> User | None:
        row = self.session.get(ApiTokenRow, hash_token(token))
        if row is None:
            return None
        user = self.session.get(UserRow, row.user_id)
        if user is None or user.disabled:
            return None
        return self._to_user(user)

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

    def record_access(self, user_id: str, action: str, resource: str, *, now: datetime) -> None:
        self.session.add(AccessLogRow(user_id=user_id, action=action, resource=resource[:500], at=now))

    def access_log(self, limit: int = 200) -> list[AccessLogRow]:
        return list(self.session.scalars(select(AccessLogRow).order_by(AccessLogRow.id.desc()).limit(limit)))
