"""`Elections`: elections and their ballots, the candidate register, and who is in a period now.

The service is built by `hustings.services.Services` over an `ElectionStore` (SQL in
`hustings.storage.elections`, in memory in `hustings.elections.memory`), the event log and the
clock. Every change is an event (see `hustings.elections.events`) appended in the caller's
transaction; nothing here commits.

Importing the register (`import_candidates`) keeps these rules:

- Each Democracy Club person is one target, found by their person id (the ``candidate`` subject
  names its target), else by one of their handles already registered to a target that is no
  other person (an MP standing again keeps their target), else made new with the role
  ``candidate``.
- A row that says nothing new appends nothing: importing the same file twice changes nothing.
- What changed (name, handles, party, post, a cancelled poll) is recorded on the candidate as
  ``candidate.updated``; the target's name, party, post and the handles the register gave follow
  (handles the target has from elsewhere are left alone).
- A person on a ballot of the file but missing from its rows is withdrawn from that ballot,
  unless a bad row might be theirs.
- A bad row is named by line and column and left out; the good rows are stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from hustings.clock import Clock
from hustings.elections.events import (
    CANDIDATE,
    ELECTION,
    ELECTION_FIELDS,
    CandidateRegistered,
    Changes,
    candidate_from_status,
    candidate_poll_cancelled,
    candidate_registered,
    candidate_updated,
    candidate_withdrawn,
    change,
    election_created,
    election_from_status,
    election_updated,
)
from hustings.elections.model import (
    CANDIDACY_FIELDS,
    EXPOSED,
    Ballot,
    Candidacy,
    CandidacyState,
    Candidate,
    Election,
    ElectionDates,
    check_ballot_of,
    nation_of,
    parse_election_id,
)
from hustings.elections.register import RegisterRow, RowProblem, parse_register
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.events import Event, EventLog, Status, apply
from hustings.places import UK
from hustings.targets.model import Target, TargetRole, new_target_id

HandleKey = tuple[str, str]
Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) as an import goes."""


@dataclass(frozen=True, slots=True)
class CandidacyRecord:
    """One line of the candidacy index: who stands on which ballot, as their status last said."""

    person_id: str
    ballot_paper_id: str
    election_id: str
    target_id: str
    state: CandidacyState


class ElectionStore(Protocol):
    """What `Elections` needs from storage beyond the event log. Implementations never commit."""

    def statuses(
        self,
        subject_type: str,
        subject_ids: Collection[str] | None = None,
        *,
        due_after: datetime | None = None,
    ) -> dict[str, Status]:
        """Statuses of `subject_type` by subject id: of `subject_ids` (every one when None),
        and only those due after `due_after` when given (for elections: whose period is not over)."""
        ...

    def candidates_of_targets(self, target_ids: Collection[str]) -> dict[str, str]:
        """The person id of each of these targets that is a candidate."""
        ...

    def handle_owners(self, handles: Collection[HandleKey]) -> dict[HandleKey, str]:
        """The target each of these (platform, handle) pairs is registered to, where it is."""
        ...

    def target(self, target_id: str) -> Target | None: ...

    def create_targets(self, targets: Sequence[Target], *, now: datetime) -> None:
        """New targets with their handles, none of which is another target's."""
        ...

    def update_target(
        self, target_id: str, *, name: str, party: str | None, constituency: str | None
    ) -> None: ...

    def add_handles(self, target_id: str, handles: Sequence[HandleKey]) -> None: ...

    def remove_handles(self, target_id: str, handles: Sequence[HandleKey]) -> None: ...

    def index_candidacies(self, candidates: Sequence[Candidate]) -> None:
        """Make the candidacy index hold exactly these candidates' candidacies, in place of what it held for them."""
        ...

    def candidacies(
        self,
        *,
        election_ids: Collection[str] | None = None,
        ballot_ids: Collection[str] | None = None,
        states: Collection[CandidacyState] | None = None,
    ) -> list[CandidacyRecord]:
        """The index's candidacies on these elections or ballots (any, when both are None), in these states."""
        ...


@dataclass(frozen=True, slots=True)
class ElectionEdit:
    """What to change on an election; None leaves a field as it is."""

    name: str | None = None
    notice_of_election: date | None = None
    close_of_nominations: date | None = None
    polling_day: date | None = None
    count_day: date | None = None
    protection_days: int | None = None


@dataclass(frozen=True, slots=True)
class Nomination:
    """A candidate on one ballot, for pages that list a ballot or an election."""

    candidate: Candidate
    candidacy: Candidacy


@dataclass(slots=True)
class ImportSummary:
    rows: int = 0
    """Rows read, good and bad."""
    created: int = 0
    """Rows that put a person on a ballot they were not on."""
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    """People taken off a ballot of the file because its rows no longer list them."""
    skipped: int = 0
    """Rows of other elections than the one asked for."""
    rejected: list[RowProblem] = field(default_factory=list)
    targets_created: int = 0
    targets_linked: int = 0
    """People matched to a target that was already registered, by one of their handles."""
    events: int = 0
    withdrawals_held: str = ""
    """Why no one was withdrawn, when a bad row might have been anyone's."""

    @property
    def rejected_rows(self) -> int:
        return len({problem.line for problem in self.rejected})

    def lines(self) -> list[str]:
        """The summary in words, one line each."""
        said = [
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"withdrawn {self.withdrawn}, rejected {self.rejected_rows}"
            + (f", skipped {self.skipped} of other elections" if self.skipped else ""),
            f"targets: {self.targets_created} new, {self.targets_linked} matched by handle; {self.events} events",
        ]
        if self.withdrawals_held:
            said.append(self.withdrawals_held)
        return said


def _name(value: str) -> str:
    text = " ".join(value.split())
    if not 1 <= len(text) <= 200:
        raise InvalidInput("name: 1 to 200 characters")
    return text


class Elections:
    """The elections service. Every method that changes an election or a candidate appends its events to `log`."""

    def __init__(self, store: ElectionStore, log: EventLog, clock: Clock) -> None:
        self.store = store
        self.log = log
        self.clock = clock

    # ------------------------------------------------------------------ reading

    def get(self, election_id: str) -> Election:
        status = self.store.statuses(ELECTION, [election_id]).get(election_id)
        if status is None:
            raise NotFound(f"election: no election {election_id!r}")
        return election_from_status(status)

    def all(self) -> list[Election]:
        """Every election, the latest poll first."""
        elections = [election_from_status(s) for s in self.store.statuses(ELECTION).values()]
        return sorted(elections, key=lambda e: (e.dates.polling_day, e.id), reverse=True)

    def in_period(self, now: datetime | None = None) -> list[Election]:
        """The elections in their period of heightened protection at `now` (the clock's, by default)."""
        moment = now or self.clock.now()
        open_ = self.store.statuses(ELECTION, due_after=moment).values()
        return [e for e in map(election_from_status, open_) if e.in_period(moment)]

    def candidates_in_period(self, now: datetime | None = None) -> set[str]:
        """The target ids of everyone standing (or elected unopposed) in an election in its period.

        For the moderation queue's exposure: reports about these targets rank higher while the
        period lasts.
        """
        elections = [e.id for e in self.in_period(now)]
        if not elections:
            return set()
        return {r.target_id for r in self.store.candidacies(election_ids=elections, states=EXPOSED)}

    def targets_of(self, election_id: str, ballot_id: str | None = None) -> set[str]:
        """The target ids of every candidate an election (or one of its ballots) has had, withdrawn too:
        for filtering the queue by election or ballot."""
        return {r.target_id for r in self._records(election_id, ballot_id)}

    def nominations(self, election_id: str, ballot_id: str | None = None) -> list[Nomination]:
        """The candidates of an election or one ballot, by ballot and then name."""
        records = self._records(election_id, ballot_id)
        statuses = self.store.statuses(CANDIDATE, {r.person_id for r in records})
        found = []
        for record in records:
            candidate = candidate_from_status(statuses[record.person_id])
            candidacy = candidate.candidacy(record.ballot_paper_id)
            if candidacy is not None:
                found.append(Nomination(candidate, candidacy))
        return sorted(
            found, key=lambda n: (n.candidacy.ballot_paper_id, n.candidate.name, n.candidate.person_id)
        )

    def candidate(self, person_id: str) -> Candidate:
        status = self.store.statuses(CANDIDATE, [person_id]).get(person_id)
        if status is None:
            raise NotFound(f"person_id: no candidate {person_id!r}")
        return candidate_from_status(status)

    def _records(self, election_id: str, ballot_id: str | None) -> list[CandidacyRecord]:
        self.get(election_id)
        if ballot_id is None:
            return self.store.candidacies(election_ids=[election_id])
        return self.store.candidacies(ballot_ids=[check_ballot_of(election_id, ballot_id, "ballot")])

    # ------------------------------------------------------------------ elections

    def create(self, election_id: str, name: str, dates: ElectionDates, *, actor: str) -> Election:
        """A new election; `Conflict` if its id is taken, `InvalidInput` naming the field at fault."""
        election_id = parse_election_id(election_id, "id")
        name = _name(name)
        dates.check(election_id)
        if self.store.statuses(ELECTION, [election_id]):
            raise Conflict(f"id: there is already an election {election_id}")
        status = self.log.append(election_created(election_id, name, dates, actor=actor, at=self.clock.now()))
        return election_from_status(status)

    def update(self, election_id: str, edit: ElectionEdit, *, actor: str, reason: str = "") -> Election:
        """Change an election's name, dates or period; nothing is appended if nothing changes."""
        election = self.get(election_id)
        name = election.name if edit.name is None else _name(edit.name)
        dates = ElectionDates(
            **{
                key: getattr(election.dates, key) if getattr(edit, key) is None else getattr(edit, key)
                for key in ELECTION_FIELDS
                if key != "name"
            }
        ).check(election.id)
        before = {"name": election.name, **_dates_json(election.dates)}
        after = {"name": name, **_dates_json(dates)}
        changes: Changes = {
            key: change(before[key], after[key]) for key in ELECTION_FIELDS if before[key] != after[key]
        }
        if not changes:
            return election
        status = self.store.statuses(ELECTION, [election.id])[election.id]
        event = election_updated(
            election.id, changes, actor=actor, at=self.clock.now(), count=status.event_count, reason=reason
        )
        return election_from_status(self.log.append(event))

    # ------------------------------------------------------------------ the register

    def import_candidates(
        self, text: str, *, actor: str, election_id: str | None = None, progress: Progress | None = None
    ) -> ImportSummary:
        """Import Democracy Club's candidates CSV (see `hustings.elections.register`).

        With `election_id`, rows of other elections are skipped. A row of an election that has not
        been created is rejected: the election's dates come from whoever runs it, not the CSV.
        """
        parsed = parse_register(text)
        summary = ImportSummary(rows=len(parsed.rows) + len({p.line for p in parsed.problems}))
        rows = parsed.rows
        if election_id is not None:
            election_id = self.get(parse_election_id(election_id, "election")).id
            summary.skipped = sum(1 for row in rows if row.election_id != election_id)
            rows = [row for row in rows if row.election_id == election_id]
        batch = _ImportBatch(self, actor, rows, parsed.problems)
        batch.run(progress)
        return batch.finish(summary)


def _dates_json(dates: ElectionDates) -> dict[str, Any]:
    return {
        "notice_of_election": dates.notice_of_election.isoformat(),
        "close_of_nominations": dates.close_of_nominations.isoformat(),
        "polling_day": dates.polling_day.isoformat(),
        "count_day": dates.count_day.isoformat(),
        "protection_days": dates.protection_days,
    }


class _ImportBatch:
    """One import: the statuses as they stand mid-import, the events to append, the targets to touch."""

    def __init__(
        self, elections: Elections, actor: str, rows: Sequence[RegisterRow], problems: Sequence[RowProblem]
    ) -> None:
        self.service = elections
        self.store = elections.store
        self.actor = actor
        self.now = elections.clock.now()
        self.problems = list(problems)
        election_statuses = self.store.statuses(ELECTION, {row.election_id for row in rows})
        self.elections = {key: election_from_status(s) for key, s in election_statuses.items()}
        self.election_statuses = dict(election_statuses)
        self.rows: list[RegisterRow] = []
        for row in rows:
            if row.election_id in self.elections:
                self.rows.append(row)
            else:
                self.reject(row, "election_id", f"no election {row.election_id}: create it first")
        self.before = self.store.statuses(CANDIDATE, {row.person_id for row in self.rows})
        self.statuses: dict[str, Status] = dict(self.before)
        handles = {(h.platform, h.handle) for row in self.rows for h in row.handles}
        self.owners = self.store.handle_owners(handles)
        self.person_of = self.store.candidates_of_targets(set(self.owners.values()))
        self.events: list[Event] = []
        self.outcomes: dict[int, str] = {}
        self.created_targets: dict[str, tuple[str, str | None, str | None]] = {}
        """Targets this import made, with the (name, party, post) and handles they were made with."""
        self.created_handles: dict[str, set[HandleKey]] = {}
        self.new_targets: list[Target] = []
        self.linked = 0
        self.withdrawn = 0
        self.held = ""

    def reject(self, row: RegisterRow, column: str, error: str) -> None:
        self.problems.append(RowProblem(row.line, column, error, row.person_id, row.ballot_paper_id))

    def _append(self, event: Event) -> None:
        self.events.append(event)
        if event.subject_type == CANDIDATE:
            self.statuses[event.subject_id] = apply(
                self.service.log.reducers, self.statuses.get(event.subject_id), event
            )
        else:
            self.election_statuses[event.subject_id] = apply(
                self.service.log.reducers, self.election_statuses.get(event.subject_id), event
            )

    def _count(self, person_id: str) -> int:
        status = self.statuses.get(person_id)
        return status.event_count if status else 0

    # ------------------------------------------------------------------ rows

    def run(self, progress: Progress | None) -> None:
        total = len(self.rows)
        for done, row in enumerate(self.rows, start=1):
            self._row(row)
            if progress is not None:
                progress(done, total)
        self._ballots()
        self._withdrawals()

    def _conflict(self, row: RegisterRow, target_id: str | None) -> bool:
        """Reject the row if one of its handles is another target's; True if it was."""
        for handle in row.handles:
            owner = self.owners.get((handle.platform, handle.handle))
            if owner is not None and owner != target_id:
                other = self.person_of.get(owner)
                whose = f"candidate {other}" if other else f"target {owner}"
                self.reject(
                    row, handle.column, f"{handle.platform} handle @{handle.handle} is already {whose}'s"
                )
                return True
        return False

    def _target_for_new_person(self, row: RegisterRow) -> tuple[str, bool] | None:
        """The target a person new to the register is: one their handles already name, or a new one."""
        owners = {
            self.owners[(h.platform, h.handle)] for h in row.handles if (h.platform, h.handle) in self.owners
        }
        existing = next(iter(owners)) if len(owners) == 1 else None
        if existing is not None and existing in self.person_of:
            existing = None  # that target is another person: a conflict, named below
        if self._conflict(row, existing):
            return None
        if existing is not None:
            self.linked += 1
            return existing, False
        target = Target(
            id=new_target_id(),
            name=row.name,
            role=TargetRole.CANDIDATE,
            party=row.party_name or None,
            constituency=row.post_label,
            handles=tuple(sorted((h.platform, h.handle) for h in row.handles)),
            country=UK,  # Democracy Club's elections are the UK's
            nation=_nation_value(row.election_id),
        )
        self.new_targets.append(target)
        self.created_targets[target.id] = (target.name, target.party, target.constituency)
        self.created_handles[target.id] = set(target.handles)
        target_id = target.id
        return target_id, True

    def _row(self, row: RegisterRow) -> None:
        status = self.statuses.get(row.person_id)
        events_before = len(self.events)
        if status is None:
            found = self._target_for_new_person(row)
            if found is None:
                return
            target_id, created = found
            self._register(row, target_id, target_created=created)
            outcome = "created"
        else:
            assert status.target_id is not None
            target_id = status.target_id
            if self._conflict(row, target_id):
                return
            candidate = candidate_from_status(status)
            person_changes: Changes = {}
            if row.name != candidate.name:
                person_changes["name"] = change(candidate.name, row.name)
            old_handles = [list(pair) for pair in candidate.handles]
            if row.handle_pairs != old_handles:
                person_changes["handles"] = change(old_handles, row.handle_pairs)
            candidacy = candidate.candidacy(row.ballot_paper_id)
            if candidacy is None or candidacy.state == CandidacyState.WITHDRAWN:
                if person_changes:
                    self._append(self._updated(row.person_id, None, person_changes))
                self._register(row, target_id, target_created=False)
                outcome = "created"
            else:
                changes = person_changes | {
                    key: change(getattr(candidacy, key), getattr(row, key))
                    for key in CANDIDACY_FIELDS
                    if getattr(candidacy, key) != getattr(row, key)
                }
                if changes:
                    self._append(self._updated(row.person_id, row.ballot_paper_id, changes))
                outcome = "updated"
        self._poll(row)
        for handle in row.handles:
            self.owners[(handle.platform, handle.handle)] = target_id
        self.person_of[target_id] = row.person_id
        if outcome == "updated" and len(self.events) == events_before:
            outcome = "unchanged"
        self.outcomes[row.line] = outcome

    def _updated(self, person_id: str, ballot_id: str | None, changes: Changes) -> Event:
        return candidate_updated(
            person_id, ballot_id, changes, actor=self.actor, at=self.now, count=self._count(person_id)
        )

    def _register(self, row: RegisterRow, target_id: str, *, target_created: bool) -> None:
        payload: CandidateRegistered = {
            "person_id": row.person_id,
            "target_id": target_id,
            "target_created": target_created,
            "name": row.name,
            "handles": row.handle_pairs,
            "ballot_paper_id": row.ballot_paper_id,
            "election_id": row.election_id,
            "party_name": row.party_name,
            "party_id": row.party_id,
            "post_label": row.post_label,
        }
        self._append(
            candidate_registered(payload, actor=self.actor, at=self.now, count=self._count(row.person_id))
        )

    def _poll(self, row: RegisterRow) -> None:
        candidacy = candidate_from_status(self.statuses[row.person_id]).candidacy(row.ballot_paper_id)
        assert candidacy is not None
        cancelled = candidacy.state == CandidacyState.POLL_CANCELLED
        if row.cancelled_poll and not cancelled:
            self._append(
                candidate_poll_cancelled(
                    row.person_id,
                    row.ballot_paper_id,
                    actor=self.actor,
                    at=self.now,
                    count=self._count(row.person_id),
                )
            )
        elif cancelled and not row.cancelled_poll:
            self._append(
                self._updated(row.person_id, row.ballot_paper_id, {"poll_cancelled": change(True, False)})
            )

    # ------------------------------------------------------------------ ballots and withdrawals

    def _ballots(self) -> None:
        """Add the file's new ballots to their elections, and record changes to known ones."""
        wanted: dict[str, dict[str, Ballot]] = defaultdict(dict)
        for row in self.rows:
            if row.line in self.outcomes:
                wanted[row.election_id].setdefault(
                    row.ballot_paper_id,
                    Ballot(row.ballot_paper_id, row.post_label, row.seats_contested, row.cancelled_poll),
                )
        for election_id, ballots in sorted(wanted.items()):
            election = self.elections[election_id]
            changes: Changes = {}
            for ballot_id, ballot in sorted(ballots.items()):
                known = election.ballot(ballot_id)
                if known != ballot:
                    changes[f"ballot:{ballot_id}"] = change(
                        known.to_json() if known else None, ballot.to_json()
                    )
            if changes:
                status = self.election_statuses[election_id]
                self._append(
                    election_updated(
                        election_id, changes, actor=self.actor, at=self.now, count=status.event_count
                    )
                )

    def _withdrawals(self) -> None:
        """Withdraw whoever a ballot of the file listed before and its rows no longer do."""
        ballots = {row.ballot_paper_id for row in self.rows if row.line in self.outcomes}
        if not ballots:
            return
        anyone = [p for p in self.problems if p.person_id is None]
        if any(p.ballot_paper_id is None for p in anyone):
            self.held = "withdrawals not applied: a bad row names no readable person or ballot, so it might be anyone's"
            return
        held_ballots = {p.ballot_paper_id for p in anyone}
        held_people = {p.person_id for p in self.problems if p.person_id is not None}
        listed = {(row.person_id, row.ballot_paper_id) for row in self.rows if row.line in self.outcomes}
        gone = [
            record
            for record in self.store.candidacies(ballot_ids=ballots - held_ballots, states=EXPOSED)
            if (record.person_id, record.ballot_paper_id) not in listed
            and record.person_id not in held_people
        ]
        missing = {r.person_id for r in gone} - set(self.statuses)
        self.statuses.update(self.store.statuses(CANDIDATE, missing))
        self.before.update({key: value for key, value in self.statuses.items() if key in missing})
        for record in sorted(gone, key=lambda r: (r.ballot_paper_id, r.person_id)):
            self._append(
                candidate_withdrawn(
                    record.person_id,
                    record.ballot_paper_id,
                    actor=self.actor,
                    at=self.now,
                    count=self._count(record.person_id),
                )
            )
            self.withdrawn += 1

    # ------------------------------------------------------------------ writing

    def finish(self, summary: ImportSummary) -> ImportSummary:
        if self.new_targets:
            self.store.create_targets(self.new_targets, now=self.now)
        ordered = [e for e in self.events if e.subject_type == ELECTION] + [
            e for e in self.events if e.subject_type == CANDIDATE
        ]
        if ordered:
            result = self.service.log.append_many(ordered)
            if result.duplicates:
                raise Conflict(
                    "candidates: another import changed these candidates at the same moment; import the file again"
                )
        touched = sorted({e.subject_id for e in self.events if e.subject_type == CANDIDATE})
        candidates = [candidate_from_status(self.statuses[person_id]) for person_id in touched]
        if candidates:
            self.store.index_candidacies(candidates)
        for candidate in candidates:
            self._follow(candidate)
        outcomes = list(self.outcomes.values())
        return replace(
            summary,
            created=outcomes.count("created"),
            updated=outcomes.count("updated"),
            unchanged=outcomes.count("unchanged"),
            withdrawn=self.withdrawn,
            rejected=sorted(self.problems, key=lambda p: (p.line, p.column)),
            targets_created=len(self.created_targets),
            targets_linked=self.linked,
            events=len(ordered),
            withdrawals_held=self.held,
        )

    def _follow(self, candidate: Candidate) -> None:
        """Bring the candidate's target into line with what the register changed: name, party,
        post, the register's handles. What the register did not change is left as the target has it."""
        before = self.before.get(candidate.person_id)
        wanted = _details(candidate)
        unchanged = before is not None and _details(candidate_from_status(before)) == wanted
        if not unchanged and self.created_targets.get(candidate.target_id) != wanted:
            target = self.store.target(candidate.target_id)
            if target is not None and (target.name, target.party, target.constituency) != wanted:
                name, party, post = wanted
                self.store.update_target(candidate.target_id, name=name, party=party, constituency=post)
        old = set(candidate_from_status(before).handles) if before else set()
        new = set(candidate.handles)
        added = sorted(new - old - self.created_handles.get(candidate.target_id, set()))
        if added:
            owned = self.store.handle_owners(added)
            self.store.add_handles(candidate.target_id, [h for h in added if h not in owned])
        removed = sorted(old - new)
        if removed:
            self.store.remove_handles(candidate.target_id, removed)


def _details(candidate: Candidate) -> tuple[str, str | None, str | None]:
    """The (name, party, post) a candidate's target shows: their primary candidacy's."""
    primary = candidate.primary()
    if primary is None:
        return candidate.name, None, None
    return candidate.name, primary.party_name or None, primary.post_label


def _nation_value(election_id: str) -> str | None:
    nation = nation_of(election_id)
    return None if nation is None else nation.value
