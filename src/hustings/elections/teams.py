"""The pop-up trusted-flagger team of an election: members, their invitations, their access.

A team is the group of people from partner organisations (parties' safety leads, the police's
election liaison, electoral administrators, civil-society monitors) who flag content for an
election. Each member is one ``team_member`` subject (id ``tm_<hex>``) with three events:

- ``team.invited``: the election, the invitee's e-mail, name, organisation and team role, when the
  invitation expires, and the SHA-256 of the one-time link's secret (the secret itself is shown
  once to the admin who invited, to pass on, and never stored);
- ``team.joined``: the invitee opened the link and set a password: the user it created (or an
  existing user it linked, who proved it with their password), now with the ``flagger`` role;
- ``team.offboarded``: an admin ended the membership, with a reason.

A member's access is not stored: it is the election's period. A joined member may use the
flagger routes from the start of the period to its end, and no longer, without anyone acting;
the role gate (`hustings.web.deps.RoleGate`) asks `Teams.check_flagger` on every request a
flagger makes. A flagger who is on no team at all is a standing trusted flagger, unaffected.
"""

from __future__ import annotations

import hmac
import secrets
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypedDict

from hustings.auth.model import Role, User, hash_token
from hustings.clock import Clock, iso, parse_iso
from hustings.elections.model import Election
from hustings.elections.service import Elections
from hustings.errors import Conflict, Forbidden, InvalidInput, NotFound
from hustings.events import Event, EventLog, Status, user_actor
from hustings.events.model import initial_status, next_event

TEAM_MEMBER = "team_member"
TEAM_INVITED = "team.invited"
TEAM_JOINED = "team.joined"
TEAM_OFFBOARDED = "team.offboarded"

INVITATION_DAYS = 7
"""An invitation's link works for this long (or until the period ends, if sooner)."""
INVALID_LINK = "invitation: this link is not valid: it may be mistyped, already used, withdrawn or expired"


class TeamRole(StrEnum):
    """What a member does in the team."""

    PARTY_SAFETY_LEAD = "party_safety_lead"
    POLICE_LIAISON = "police_liaison"
    ELECTORAL_ADMINISTRATOR = "electoral_administrator"
    CIVIL_SOCIETY_MONITOR = "civil_society_monitor"


class MemberState(StrEnum):
    INVITED = "invited"
    JOINED = "joined"
    OFFBOARDED = "offboarded"


class Invited(TypedDict):
    election_id: str
    email: str
    name: str
    organisation: str
    team_role: str
    token_hash: str
    expires_at: str


class Joined(TypedDict):
    user_id: str
    linked: bool
    """Whether the link joined an existing user rather than creating one."""


# ---------------------------------------------------------------------- the member


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    election_id: str
    email: str
    name: str
    organisation: str
    team_role: TeamRole
    state: MemberState
    invited_at: datetime
    invited_by: str
    expires_at: datetime
    user_id: str | None = None
    joined_at: datetime | None = None
    offboarded_at: datetime | None = None
    offboard_reason: str = ""

    def standing(self, election: Election, now: datetime) -> str:
        """In words, where the member stands at `now`: for the team page."""
        if self.state == MemberState.OFFBOARDED:
            return "offboarded"
        if self.state == MemberState.INVITED:
            return "invitation expired" if now >= self.expires_at else "invited"
        if now < election.dates.period_start:
            return "joined; access starts with the period"
        if now >= election.dates.period_end:
            return "access ended with the period"
        return "active"

    def has_access(self, election: Election, now: datetime) -> bool:
        return self.state == MemberState.JOINED and election.in_period(now)


def member_from_status(status: Status) -> Member:
    data = status.data
    return Member(
        id=status.subject_id,
        election_id=str(data["election_id"]),
        email=str(data["email"]),
        name=str(data["name"]),
        organisation=str(data["organisation"]),
        team_role=TeamRole(data["team_role"]),
        state=MemberState(status.state),
        invited_at=_required(data["invited_at"]),
        invited_by=str(data["invited_by"]),
        expires_at=_required(data["expires_at"]),
        user_id=data.get("user_id"),
        joined_at=parse_iso(data.get("joined_at")),
        offboarded_at=parse_iso(data.get("offboarded_at")),
        offboard_reason=str(data.get("offboard_reason", "")),
    )


def _required(value: str) -> datetime:
    moment = parse_iso(value)
    assert moment is not None
    return moment


def reduce_team_member(status: Status | None, event: Event) -> Status:
    """Fold one event into a team member's status. Pure: no storage, no clock."""
    current = status or initial_status(event, state=MemberState.INVITED.value)
    data: dict[str, Any] = dict(current.data)
    if event.kind == TEAM_INVITED:
        data.update(event.payload, invited_at=iso(event.occurred_at), invited_by=event.actor)
        return current.evolve(state=MemberState.INVITED.value, data=data)
    if event.kind == TEAM_JOINED:
        data.update(user_id=event.payload["user_id"], joined_at=iso(event.occurred_at))
        data.pop("token_hash", None)  # single use: nothing left to match a second time
        return current.evolve(state=MemberState.JOINED.value, data=data)
    if event.kind == TEAM_OFFBOARDED:
        data.update(offboarded_at=iso(event.occurred_at), offboard_reason=event.reason)
        data.pop("token_hash", None)
        return current.evolve(state=MemberState.OFFBOARDED.value, data=data)
    raise ValueError(f"team_member subjects do not take events of kind {event.kind!r}")


REDUCERS = {TEAM_MEMBER: reduce_team_member}


# ---------------------------------------------------------------------- storage


class TeamStore(Protocol):
    """What the teams service reads and writes besides the event log."""

    def members(self, member_ids: Collection[str] | None = None) -> list[Status]:
        """The team-member statuses (all of them, or those with these ids)."""
        ...

    def user_by_name(self, name: str) -> User | None: ...

    def create_flagger(self, name: str, *, display_name: str, password: str, now: datetime) -> User:
        """A new user with the flagger role and this password (the password policy applies)."""
        ...

    def grant_flagger(self, user_id: str) -> None: ...

    def password_matches(self, user_id: str, password: str) -> bool: ...

    def reported_items(self, reporter_ids: Collection[str], start: datetime, end: datetime) -> list[Status]:
        """The message statuses of items these users reported between `start` and `end`."""
        ...

    def message_ids(self, ids: Collection[str] = (), urls: Collection[str] = ()) -> list[str]:
        """The stored messages with these ids, or whose URL is one of `urls`."""
        ...


# ---------------------------------------------------------------------- the service


@dataclass(frozen=True, slots=True)
class Invitation:
    member: Member
    token: str
    """The one-time link's token, ``<member id>.<secret>``: shown once, never stored."""


@dataclass(frozen=True, slots=True)
class LaneFigures:
    """The priority lane's service levels for one election's team, measured from the log."""

    election_id: str
    items: int
    met: int
    missed: int
    open: int
    """In the lane, not yet acted on and not yet due."""
    median_minutes_to_first_action: float | None


class Teams:
    """The pop-up trusted-flagger teams. Every change is an event on a ``team_member`` subject."""

    def __init__(self, store: TeamStore, log: EventLog, clock: Clock, elections: Elections) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.elections = elections

    # ------------------------------------------------------------------ reading

    def team(self, election_id: str) -> list[Member]:
        """The members of an election's team, invitations too, in the order they were invited."""
        members = [member_from_status(s) for s in self.store.members()]
        return sorted(
            (m for m in members if m.election_id == election_id), key=lambda m: (m.invited_at, m.id)
        )

    def member(self, member_id: str) -> Member:
        found = self.store.members([member_id])
        if not found:
            raise NotFound(f"member: no team member {member_id!r}")
        return member_from_status(found[0])

    def memberships(self, user_id: str) -> list[Member]:
        # Teams are tens of people an election, so the statuses are read whole rather than indexed.
        return [m for m in map(member_from_status, self.store.members()) if m.user_id == user_id]

    def check_flagger(self, user: User) -> None:
        """Refuse a flagger whose team access has ended (or not begun): `Forbidden` saying why.

        A flagger on no team at all is a standing trusted flagger and passes.
        """
        memberships = self.memberships(user.id)
        if not memberships:
            return
        now = self.clock.now()
        for member in memberships:
            if member.has_access(self.elections.get(member.election_id), now):
                return
        names = ", ".join(sorted({m.election_id for m in memberships}))
        raise Forbidden(
            f"flagger access: your access as a member of the team for {names} is not open now: "
            "it runs with the election's period of heightened protection, or you were offboarded"
        )

    def invitation(self, token: str) -> Member:
        """The invitation a one-time link is for, if it can still be accepted; `NotFound` if not."""
        member_id, _, secret = token.partition(".")
        found = self.store.members([member_id]) if member_id.startswith("tm_") and secret else []
        if not found:
            raise NotFound(INVALID_LINK)
        status = found[0]
        stored = str(status.data.get("token_hash", ""))
        if (
            status.state != MemberState.INVITED
            or not stored
            or not hmac.compare_digest(stored, hash_token(secret))
            or self.clock.now() >= member_from_status(status).expires_at
        ):
            raise NotFound(INVALID_LINK)
        return member_from_status(status)

    def find_message(self, reference: str) -> str:
        """The stored message a flagger means: its id (``m_…``) or its post's address, exactly as
        stored (a trailing slash or query string aside). `NotFound` saying which was not found."""
        reference = reference.strip()
        if not reference:
            raise InvalidInput("message: give the message id or the post's address")
        if reference.startswith(("http://", "https://")):
            base = reference.split("?", 1)[0].split("#", 1)[0].rstrip("/")
            found = self.store.message_ids(urls=sorted({reference, base, base + "/"}))
            if not found:
                raise NotFound(
                    f"message: no stored message has the address {reference}; Hustings can only take "
                    "a report on a message it has ingested: give its id, or ask a moderator to ingest it"
                )
            return found[0]
        found = self.store.message_ids(ids=[reference])
        if not found:
            raise NotFound(f"message: no stored message has the id {reference!r}")
        return found[0]

    # ------------------------------------------------------------------ changing

    def invite(
        self,
        election_id: str,
        *,
        email: str,
        name: str,
        organisation: str,
        team_role: str,
        actor: str,
    ) -> Invitation:
        """Invite someone to an election's team; the token in the returned link is shown once."""
        election = self.elections.get(election_id)
        now = self.clock.now()
        if now >= election.dates.period_end:
            raise InvalidInput(f"election: the period of {election_id} is over; its team is closed")
        email = email.strip().lower()
        if "@" not in email or len(email) > 120 or any(c.isspace() for c in email):
            raise InvalidInput("email: must be an e-mail address")
        name, organisation = name.strip(), organisation.strip()
        if not name or len(name) > 120:
            raise InvalidInput("name: must be 1 to 120 characters")
        if not organisation or len(organisation) > 200:
            raise InvalidInput("organisation: must be 1 to 200 characters")
        try:
            role = TeamRole(team_role)
        except ValueError:
            raise InvalidInput(
                f"team_role: must be one of {', '.join(r.value for r in TeamRole)}, not {team_role!r}"
            ) from None
        for other in self.team(election_id):
            if other.email == email and other.state != MemberState.OFFBOARDED and now < other.expires_at:
                raise Conflict(f"email: {email} is already invited to or on this team")
        member_id = "tm_" + secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        expires = min(now + timedelta(days=INVITATION_DAYS), election.dates.period_end)
        payload: Invited = {
            "election_id": election_id,
            "email": email,
            "name": name,
            "organisation": organisation,
            "team_role": role.value,
            "token_hash": hash_token(secret),
            "expires_at": iso(expires) or "",
        }
        status = self.log.append(self._event(TEAM_INVITED, member_id, None, actor=actor, payload=payload))
        return Invitation(member=member_from_status(status), token=f"{member_id}.{secret}")

    def accept(self, token: str, *, password: str) -> Member:
        """Accept an invitation: a new user with the flagger role and this password, or, where a user
        already has the invited e-mail as their name, that user (who must give their password)."""
        member = self.invitation(token)
        existing = self.store.user_by_name(member.email)
        if existing is not None:
            if not self.store.password_matches(existing.id, password):
                raise InvalidInput(
                    f"password: {member.email} already has an account here; give its password to join"
                )
            if Role.FLAGGER not in existing.roles:
                self.store.grant_flagger(existing.id)
            user, linked = existing, True
        else:
            user = self.store.create_flagger(
                member.email, display_name=member.name, password=password, now=self.clock.now()
            )
            linked = False
        payload: Joined = {"user_id": user.id, "linked": linked}
        status = self.log.append(
            self._event(
                TEAM_JOINED, member.id, self._status(member.id), actor=user_actor(user.id), payload=payload
            )
        )
        return member_from_status(status)

    def offboard(self, member_id: str, *, actor: str, reason: str) -> Member:
        """End a membership (or withdraw an invitation); the link and the access stop at once."""
        status = self._status(member_id)
        if status is None:
            raise NotFound(f"member: no team member {member_id!r}")
        if status.state == MemberState.OFFBOARDED:
            raise Conflict(f"member: {member_id} is already offboarded")
        reason = reason.strip()
        if not reason:
            raise InvalidInput("reason: say why the member leaves the team")
        event = self._event(TEAM_OFFBOARDED, member_id, status, actor=actor, payload={}, reason=reason)
        return member_from_status(self.log.append(event))

    # ------------------------------------------------------------------ the lane, measured

    def lane_figures(self, election_id: str) -> LaneFigures:
        """The priority lane's service levels for items the election's team reported in its period."""
        from hustings.moderation.queues import lane_due, lane_met

        election = self.elections.get(election_id)
        reporters = {m.user_id for m in self.team(election_id) if m.user_id is not None}
        now = self.clock.now()
        items = [
            s
            for s in self.store.reported_items(
                reporters, election.dates.period_start, election.dates.period_end
            )
            if lane_due(s) is not None
        ]
        verdicts = [lane_met(s, now) for s in items]
        waits = [
            (first - entered).total_seconds() / 60
            for s in items
            if (first := parse_iso(s.data.get("lane_first_action_at"))) is not None
            and (entered := parse_iso(s.data.get("lane_entered_at"))) is not None
        ]
        return LaneFigures(
            election_id=election_id,
            items=len(items),
            met=sum(1 for v in verdicts if v is True),
            missed=sum(1 for v in verdicts if v is False),
            open=sum(1 for v in verdicts if v is None),
            median_minutes_to_first_action=round(statistics.median(waits), 1) if waits else None,
        )

    # ------------------------------------------------------------------ helpers

    def _status(self, member_id: str) -> Status | None:
        found = self.store.members([member_id])
        return found[0] if found else None

    def _event(
        self,
        kind: str,
        member_id: str,
        status: Status | None,
        *,
        actor: str,
        payload: Any,
        reason: str = "",
    ) -> Event:
        count = status.event_count if status is not None else 0
        return next_event(
            kind,
            TEAM_MEMBER,
            member_id,
            actor=actor,
            at=self.clock.now(),
            count=count,
            payload=payload,
            reason=reason,
        )


def team_roles() -> Sequence[TeamRole]:
    return tuple(TeamRole)
