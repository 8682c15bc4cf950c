"""The election vocabulary: ids in Democracy Club's form, elections, ballots, candidates and their
candidacies, and the period of heightened protection.

An election's id is Democracy Club's: the election type, any organisation and subtype parts, and
the polling day, separated by dots (``parl.2029-05-03``, ``local.kelbridge.2028-05-04``,
``sp.c.2026-05-07``). A ballot's id adds the post (``parl.aldershot.2029-05-03``,
``local.kelbridge.riverside.2028-05-04``, ``local.kelbridge.riverside.by.2028-05-04`` for a
by-election) before the date, so each ballot names the election it belongs to.

The period of heightened protection runs from the start of the day notice of election is given
to the end of the `protection_days`-th day after the count, in UK local time: midnight to
midnight, whatever the clocks do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hustings.auth.model import Role
from hustings.clock import as_utc
from hustings.errors import InvalidInput
from hustings.places import Nation

UK = ZoneInfo("Europe/London")
DEFAULT_PROTECTION_DAYS = 14
"""Days after the count that the period lasts when an election names no other number: abuse
does not stop with the declaration, and the newly elected and the defeated both draw it."""
MAX_PROTECTION_DAYS = 180
MAX_COUNT_DELAY_DAYS = 7
"""The count is on the night of the poll or within days of it; a later date is a typing slip."""

ELECTION_READERS = frozenset(
    {Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.ANALYST, Role.FLAGGER, Role.POLICE_LIAISON}
)
"""Who may see elections and their candidates: the staff who work the queue. Admins change them."""

ELECTION_TYPES = frozenset(
    {"europarl", "gla", "local", "mayor", "naw", "nia", "parl", "pcc", "ref", "senedd", "sp"}
)
"""Democracy Club's election types (the first part of every election and ballot id)."""
NATION_OF_TYPE = {
    "sp": Nation.SCOTLAND,
    "senedd": Nation.WALES,
    "naw": Nation.WALES,
    "nia": Nation.NORTHERN_IRELAND,
    "gla": Nation.ENGLAND,
}
"""The UK nation an election type says; the others (`parl`, `local`, `pcc`, `mayor`...) say none
on their own (a `local` id names the council by a slug, not its nation)."""

_PART = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_ID = re.compile(rf"(?P<type>[a-z]+)(?P<middle>(?:\.{_PART})*)\.(?P<date>\d{{4}}-\d{{2}}-\d{{2}})")
MAX_ID_LENGTH = 200


@dataclass(frozen=True, slots=True)
class DcId:
    """A parsed Democracy Club election or ballot id."""

    value: str
    type: str
    parts: tuple[str, ...]
    """The parts between the type and the date."""
    date: date

    @property
    def stem(self) -> str:
        """The id without its date: what every ballot of an election starts with."""
        return ".".join((self.type, *self.parts))


def parse_dc_id(value: str, field_name: str = "id") -> DcId:
    """Validate an election or ballot id; raise `InvalidInput` naming `field_name` if it is not one."""
    text = value.strip()
    match = _ID.fullmatch(text)
    if not match or len(text) > MAX_ID_LENGTH:
        raise InvalidInput(
            f"{field_name}: {value!r} is not a Democracy Club id "
            "(type, parts and polling day in lower case, e.g. parl.2029-05-03 or local.kelbridge.2028-05-04)"
        )
    if match["type"] not in ELECTION_TYPES:
        raise InvalidInput(
            f"{field_name}: {match['type']!r} is not an election type "
            f"(one of {', '.join(sorted(ELECTION_TYPES))})"
        )
    try:
        day = date.fromisoformat(match["date"])
    except ValueError:
        raise InvalidInput(f"{field_name}: {match['date']} in {value!r} is not a date") from None
    parts = tuple(part for part in match["middle"].split(".") if part)
    return DcId(value=text, type=match["type"], parts=parts, date=day)


def nation_of(election_id: str) -> Nation | None:
    """The nation of the UK an election is in, where its id says (`NATION_OF_TYPE`)."""
    return NATION_OF_TYPE.get(parse_dc_id(election_id).type)


def parse_election_id(value: str, field_name: str = "id") -> str:
    return parse_dc_id(value, field_name).value


def check_ballot_of(election_id: str, ballot_id: str, field_name: str = "ballot_paper_id") -> str:
    """The ballot id, if it is a ballot of `election_id`: its stem and a post, then the same date."""
    election = parse_dc_id(election_id, "election_id")
    ballot = parse_dc_id(ballot_id, field_name)
    stem = election.stem + "."
    if ballot.date != election.date or not ballot.stem.startswith(stem) or ballot.stem == election.stem:
        raise InvalidInput(
            f"{field_name}: {ballot_id!r} is not a ballot of {election_id} "
            f"(expected {stem}<post>.{election.date.isoformat()})"
        )
    return ballot.value


class ElectionState(StrEnum):
    """What the log says of an election. Whether it is in its period is a matter of the clock: `Phase`."""

    SCHEDULED = "scheduled"


class Phase(StrEnum):
    UPCOMING = "upcoming"
    """Before notice of election."""
    PROTECTED = "protected"
    """In the period of heightened protection."""
    OVER = "over"


def uk_midnight(day: date) -> datetime:
    """The start of `day` in UK local time, in UTC."""
    return datetime.combine(day, time(0), tzinfo=UK).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ElectionDates:
    notice_of_election: date
    close_of_nominations: date
    polling_day: date
    count_day: date
    protection_days: int = DEFAULT_PROTECTION_DAYS

    @property
    def period_start(self) -> datetime:
        return uk_midnight(self.notice_of_election)

    @property
    def period_end(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return uk_midnight(self.count_day + timedelta(days=self.protection_days + 1))

    def in_period(self, now: datetime) -> bool:
        return self.period_start <= as_utc(now) < self.period_end

    def phase(self, now: datetime) -> Phase:
        moment = as_utc(now)
        if moment < self.period_start:
            return Phase.UPCOMING
        return Phase.PROTECTED if moment < self.period_end else Phase.OVER

    def check(self, election_id: str) -> ElectionDates:
        """These dates, if they fit together and with the id's polling day; `InvalidInput` naming the field otherwise."""
        polling = parse_dc_id(election_id).date
        if self.polling_day != polling:
            raise InvalidInput(
                f"polling_day: {self.polling_day.isoformat()} is not the date in the id {election_id} "
                f"({polling.isoformat()})"
            )
        if self.notice_of_election > self.close_of_nominations:
            raise InvalidInput("notice_of_election: must be on or before close_of_nominations")
        if self.close_of_nominations > self.polling_day:
            raise InvalidInput("close_of_nominations: must be on or before polling_day")
        if not self.polling_day <= self.count_day <= self.polling_day + timedelta(days=MAX_COUNT_DELAY_DAYS):
            raise InvalidInput(
                f"count_day: must be polling day or up to {MAX_COUNT_DELAY_DAYS} days after it"
            )
        if not 0 <= self.protection_days <= MAX_PROTECTION_DAYS:
            raise InvalidInput(
                f"protection_days: must be 0 to {MAX_PROTECTION_DAYS}, not {self.protection_days}"
            )
        return self


@dataclass(frozen=True, slots=True)
class Ballot:
    """One contest of an election: a post (constituency, ward, region) and its seats."""

    id: str
    post_label: str
    seats_contested: int | None = None
    cancelled: bool = False
    """Democracy Club's `cancelled_poll`: no poll is held (uncontested, or countermanded)."""

    def to_json(self) -> dict[str, object]:
        return {
            "post_label": self.post_label,
            "seats_contested": self.seats_contested,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True, slots=True)
class Election:
    id: str
    name: str
    dates: ElectionDates
    ballots: tuple[Ballot, ...] = ()
    state: ElectionState = ElectionState.SCHEDULED
    created_at: datetime | None = None
    created_by: str | None = None

    def ballot(self, ballot_id: str) -> Ballot | None:
        return next((b for b in self.ballots if b.id == ballot_id), None)

    def in_period(self, now: datetime) -> bool:
        return self.dates.in_period(now)

    def phase(self, now: datetime) -> Phase:
        return self.dates.phase(now)


class CandidacyState(StrEnum):
    STANDING = "standing"
    POLL_CANCELLED = "poll_cancelled"
    """On a ballot whose poll is cancelled: elected unopposed, or the poll countermanded."""
    WITHDRAWN = "withdrawn"
    """No longer in the register for the ballot."""


EXPOSED = frozenset({CandidacyState.STANDING, CandidacyState.POLL_CANCELLED})
"""Candidacies whose candidate the period's priority covers: in public view for the ballot."""


class CandidateState(StrEnum):
    STANDING = "standing"
    """Standing (or elected unopposed) on at least one ballot."""
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Candidacy:
    """One person on one ballot, as Democracy Club lists them."""

    ballot_paper_id: str
    election_id: str
    party_name: str
    party_id: str
    post_label: str
    state: CandidacyState = CandidacyState.STANDING


PERSON_FIELDS = ("name", "handles")
CANDIDACY_FIELDS = ("party_name", "party_id", "post_label")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person in Democracy Club's candidate register, and the target who is them in Hustings."""

    person_id: str
    target_id: str
    name: str
    handles: tuple[tuple[str, str], ...]
    """The handles the register gives (platform, normalised handle); a target may have others too."""
    candidacies: tuple[Candidacy, ...] = field(default=())
    state: CandidateState = CandidateState.STANDING

    def candidacy(self, ballot_id: str) -> Candidacy | None:
        return next((c for c in self.candidacies if c.ballot_paper_id == ballot_id), None)

    def primary(self) -> Candidacy | None:
        """The candidacy the target's party and post follow: the latest poll the person is in, then by ballot id."""
        exposed = [c for c in self.candidacies if c.state in EXPOSED] or list(self.candidacies)
        if not exposed:
            return None
        return max(exposed, key=lambda c: (parse_dc_id(c.ballot_paper_id).date, c.ballot_paper_id))
