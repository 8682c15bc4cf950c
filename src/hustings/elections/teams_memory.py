"""A `TeamStore` in plain dicts, so the teams service's tests need no database.

It reads statuses and events from the `InMemoryEventStore` the log writes to, and keeps users
in an `InMemoryAccountStore`, as the SQL store keeps them in the users table.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from hustings.auth.memory import InMemoryAccountStore
from hustings.auth.model import Role, User
from hustings.auth.passwords import check_new_password
from hustings.clock import as_utc
from hustings.elections.teams import TEAM_MEMBER
from hustings.events import InMemoryEventStore, Status, user_actor
from hustings.messages.events import SUBJECT
from hustings.moderation.events import REPORT_FILED


class InMemoryTeamStore:
    def __init__(self, events: InMemoryEventStore, accounts: InMemoryAccountStore) -> None:
        self.events = events
        self.accounts = accounts
        self.urls: dict[str, str] = {}
        """Message id to its URL, for the messages a test has stored."""

    def members(self, member_ids: Collection[str] | None = None) -> list[Status]:
        return [
            status
            for (kind, subject_id), status in sorted(self.events.statuses.items())
            if kind == TEAM_MEMBER and (member_ids is None or subject_id in member_ids)
        ]

    def user_by_name(self, name: str) -> User | None:
        return next((a.user for a in self.accounts.accounts.values() if a.user.name == name), None)

    def create_flagger(self, name: str, *, display_name: str, password: str, now: datetime) -> User:
        check_new_password(password, user_inputs=(name, display_name))
        user_id = f"u_{len(self.accounts.accounts):04d}"
        self.accounts.add_user(user_id, {Role.FLAGGER}, password=password)
        account = self.accounts.accounts[user_id]
        account.user = replace(account.user, name=name, display_name=display_name)
        return account.user

    def grant_flagger(self, user_id: str) -> None:
        account = self.accounts.accounts[user_id]
        account.user = replace(account.user, roles=account.user.roles | {Role.FLAGGER})

    def password_matches(self, user_id: str, password: str) -> bool:
        return self.accounts.password_matches(user_id, password)

    def reported_items(self, reporter_ids: Collection[str], start: datetime, end: datetime) -> list[Status]:
        actors = {user_actor(user_id) for user_id in reporter_ids}
        ids = {
            event.subject_id
            for event in self.events.iter_events()
            if event.kind == REPORT_FILED
            and event.actor in actors
            and start <= as_utc(event.occurred_at) < end
        }
        return [
            status for (kind, sid), status in self.events.statuses.items() if kind == SUBJECT and sid in ids
        ]

    def message_ids(self, ids: Collection[str] = (), urls: Collection[str] = ()) -> list[str]:
        stored = {sid for (kind, sid) in self.events.statuses if kind == SUBJECT}
        return sorted({i for i in ids if i in stored} | {m for m, url in self.urls.items() if url in urls})
