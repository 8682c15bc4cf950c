"""The elections' events and the pure reducers over them.

Two subject types:

- ``election`` (id: the Democracy Club election id): ``election.created`` carries the name and
  dates; ``election.updated`` carries what changed, as ``{field: {"from": ..., "to": ...}}``, where
  a ballot's field is ``ballot:<ballot id>`` and its value the ballot (None before it was added).
- ``candidate`` (id: Democracy Club's person id): one person in the register, and the target who
  is them. ``candidate.registered`` puts them on a ballot (the first time, with the target);
  ``candidate.updated`` says what changed on the person (``name``, ``handles``) or on one of
  their candidacies (``party_name``, ``party_id``, ``post_label``, ``poll_cancelled``);
  ``candidate.withdrawn`` takes them off a ballot they no longer stand on;
  ``candidate.poll_cancelled`` marks a ballot with no poll (elected unopposed, or countermanded).

Keys are ``kind:subject:event_count``, so a change made twice from one starting point is
refused by the log, and two imports at once cannot both apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypedDict

from hustings.clock import iso, parse_iso
from hustings.elections.model import (
    CANDIDACY_FIELDS,
    EXPOSED,
    PERSON_FIELDS,
    Ballot,
    Candidacy,
    CandidacyState,
    Candidate,
    CandidateState,
    Election,
    ElectionDates,
    ElectionState,
)
from hustings.events.model import Event, Reducer, Status, initial_status, next_event

ELECTION = "election"
CANDIDATE = "candidate"

ELECTION_CREATED = "election.created"
ELECTION_UPDATED = "election.updated"
CANDIDATE_REGISTERED = "candidate.registered"
CANDIDATE_UPDATED = "candidate.updated"
CANDIDATE_WITHDRAWN = "candidate.withdrawn"
CANDIDATE_POLL_CANCELLED = "candidate.poll_cancelled"

DATE_FIELDS = ("notice_of_election", "close_of_nominations", "polling_day", "count_day")
ELECTION_FIELDS = ("name", *DATE_FIELDS, "protection_days")
BALLOT_PREFIX = "ballot:"

Change = TypedDict("Change", {"from": Any, "to": Any})
Changes = dict[str, Change]


class ElectionCreated(TypedDict):
    name: str
    notice_of_election: str
    close_of_nominations: str
    polling_day: str
    count_day: str
    protection_days: int


class Updated(TypedDict):
    changes: Changes


class CandidateRegistered(TypedDict):
    person_id: str
    target_id: str
    target_created: bool
    """Whether the import made the target, or found an existing one by handle."""
    name: str
    handles: list[list[str]]
    ballot_paper_id: str
    election_id: str
    party_name: str
    party_id: str
    post_label: str


class CandidateUpdated(TypedDict):
    ballot_paper_id: str | None
    """The candidacy the changes are on; None when all are on the person."""
    changes: Changes


class OnBallot(TypedDict):
    ballot_paper_id: str


def change(before: Any, after: Any) -> Change:
    return {"from": before, "to": after}


def election_created(election_id: str, name: str, dates: ElectionDates, *, actor: str, at: datetime) -> Event:
    payload: ElectionCreated = {
        "name": name,
        "notice_of_election": dates.notice_of_election.isoformat(),
        "close_of_nominations": dates.close_of_nominations.isoformat(),
        "polling_day": dates.polling_day.isoformat(),
        "count_day": dates.count_day.isoformat(),
        "protection_days": dates.protection_days,
    }
    return next_event(ELECTION_CREATED, ELECTION, election_id, actor=actor, at=at, count=0, payload=payload)


def election_updated(
    election_id: str, changes: Changes, *, actor: str, at: datetime, count: int, reason: str = ""
) -> Event:
    payload: Updated = {"changes": changes}
    return next_event(
        ELECTION_UPDATED,
        ELECTION,
        election_id,
        actor=actor,
        at=at,
        count=count,
        payload=payload,
        reason=reason,
    )


def candidate_registered(payload: CandidateRegistered, *, actor: str, at: datetime, count: int) -> Event:
    return next_event(
        CANDIDATE_REGISTERED,
        CANDIDATE,
        payload["person_id"],
        actor=actor,
        at=at,
        count=count,
        payload=payload,
    )


def candidate_updated(
    person_id: str, ballot_id: str | None, changes: Changes, *, actor: str, at: datetime, count: int
) -> Event:
    payload: CandidateUpdated = {"ballot_paper_id": ballot_id, "changes": changes}
    return next_event(
        CANDIDATE_UPDATED, CANDIDATE, person_id, actor=actor, at=at, count=count, payload=payload
    )


def candidate_withdrawn(person_id: str, ballot_id: str, *, actor: str, at: datetime, count: int) -> Event:
    payload: OnBallot = {"ballot_paper_id": ballot_id}
    return next_event(
        CANDIDATE_WITHDRAWN,
        CANDIDATE,
        person_id,
        actor=actor,
        at=at,
        count=count,
        payload=payload,
        reason=f"no longer in the register for {ballot_id}",
    )


def candidate_poll_cancelled(
    person_id: str, ballot_id: str, *, actor: str, at: datetime, count: int
) -> Event:
    payload: OnBallot = {"ballot_paper_id": ballot_id}
    return next_event(
        CANDIDATE_POLL_CANCELLED, CANDIDATE, person_id, actor=actor, at=at, count=count, payload=payload
    )


# ---------------------------------------------------------------------- reducers


def reduce_election(status: Status | None, event: Event) -> Status:
    """Fold one event into an election's status. Pure: no storage, no clock.

    ``data`` holds the name, the dates (ISO), ``protection_days`` and ``ballots``
    (``{id: {post_label, seats_contested, cancelled}}``); ``due_at`` is the end of the period,
    so a query can find the elections whose period is not over.
    """
    current = status or initial_status(event, state=ElectionState.SCHEDULED.value)
    data: dict[str, Any] = dict(current.data)
    if event.kind == ELECTION_CREATED:
        data.update(event.payload)
        data.update(ballots={}, created_at=iso(event.occurred_at), created_by=event.actor)
    elif event.kind == ELECTION_UPDATED:
        ballots = dict(data.get("ballots", {}))
        for key, value in event.payload["changes"].items():
            if key.startswith(BALLOT_PREFIX):
                if value["to"] is None:
                    ballots.pop(key.removeprefix(BALLOT_PREFIX), None)
                else:
                    ballots[key.removeprefix(BALLOT_PREFIX)] = value["to"]
            else:
                data[key] = value["to"]
        data["ballots"] = ballots
    else:
        raise ValueError(f"election subjects do not take events of kind {event.kind!r}")
    return current.evolve(data=data, due_at=_dates(data).period_end)


def _dates(data: Mapping[str, Any]) -> ElectionDates:
    return ElectionDates(
        notice_of_election=date.fromisoformat(data["notice_of_election"]),
        close_of_nominations=date.fromisoformat(data["close_of_nominations"]),
        polling_day=date.fromisoformat(data["polling_day"]),
        count_day=date.fromisoformat(data["count_day"]),
        protection_days=int(data["protection_days"]),
    )


def election_from_status(status: Status) -> Election:
    data = status.data
    ballots = tuple(
        Ballot(
            id=ballot_id,
            post_label=str(ballot["post_label"]),
            seats_contested=ballot.get("seats_contested"),
            cancelled=bool(ballot.get("cancelled", False)),
        )
        for ballot_id, ballot in sorted(data.get("ballots", {}).items())
    )
    return Election(
        id=status.subject_id,
        name=str(data["name"]),
        dates=_dates(data),
        ballots=ballots,
        state=ElectionState(status.state),
        created_at=parse_iso(data.get("created_at")),
        created_by=data.get("created_by"),
    )


def reduce_candidate(status: Status | None, event: Event) -> Status:
    """Fold one event into a candidate's status. Pure.

    ``data`` holds ``person_id``, ``name``, ``handles`` (``[[platform, handle]]``, as the register
    gives them) and ``ballots`` (``{id: {election_id, party_name, party_id, post_label, state}}``);
    ``target_id`` is the target who is this person. The state is ``standing`` while any
    candidacy is standing or on a cancelled poll.
    """
    current = status or initial_status(event, state=CandidateState.STANDING.value)
    data: dict[str, Any] = dict(current.data)
    ballots: dict[str, dict[str, Any]] = {key: dict(value) for key, value in data.get("ballots", {}).items()}
    payload = event.payload
    target_id = current.target_id
    if event.kind == CANDIDATE_REGISTERED:
        target_id = payload["target_id"]
        data.update(person_id=payload["person_id"], name=payload["name"], handles=payload["handles"])
        ballots[payload["ballot_paper_id"]] = {
            "election_id": payload["election_id"],
            "party_name": payload["party_name"],
            "party_id": payload["party_id"],
            "post_label": payload["post_label"],
            "state": CandidacyState.STANDING.value,
        }
    elif event.kind == CANDIDATE_UPDATED:
        ballot_id = payload["ballot_paper_id"]
        for key, value in payload["changes"].items():
            if key in PERSON_FIELDS:
                data[key] = value["to"]
            elif key == "poll_cancelled":
                ballots[ballot_id]["state"] = (
                    CandidacyState.POLL_CANCELLED if value["to"] else CandidacyState.STANDING
                ).value
            elif key in CANDIDACY_FIELDS:
                ballots[ballot_id][key] = value["to"]
            else:
                raise ValueError(f"candidate.updated: {key!r} is not a field of a candidate")
    elif event.kind == CANDIDATE_WITHDRAWN:
        ballots[payload["ballot_paper_id"]]["state"] = CandidacyState.WITHDRAWN.value
    elif event.kind == CANDIDATE_POLL_CANCELLED:
        ballots[payload["ballot_paper_id"]]["state"] = CandidacyState.POLL_CANCELLED.value
    else:
        raise ValueError(f"candidate subjects do not take events of kind {event.kind!r}")
    data["ballots"] = ballots
    exposed = any(CandidacyState(b["state"]) in EXPOSED for b in ballots.values())
    state = CandidateState.STANDING if exposed else CandidateState.WITHDRAWN
    return current.evolve(state=state.value, data=data, target_id=target_id)


def candidate_from_status(status: Status) -> Candidate:
    data = status.data
    assert status.target_id is not None, "a candidate's status always names its target"
    return Candidate(
        person_id=status.subject_id,
        target_id=status.target_id,
        name=str(data["name"]),
        handles=tuple((str(p), str(h)) for p, h in data.get("handles", [])),
        candidacies=tuple(
            Candidacy(
                ballot_paper_id=ballot_id,
                election_id=str(b["election_id"]),
                party_name=str(b["party_name"]),
                party_id=str(b["party_id"]),
                post_label=str(b["post_label"]),
                state=CandidacyState(b["state"]),
            )
            for ballot_id, b in sorted(data.get("ballots", {}).items())
        ),
        state=CandidateState(status.state),
    )


REDUCERS: dict[str, Reducer] = {ELECTION: reduce_election, CANDIDATE: reduce_candidate}
