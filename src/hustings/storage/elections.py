"""The `ElectionStore` in SQL: statuses, targets and their handles, and the candidacy index.

Never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hustings.elections.events import CANDIDATE, candidate_from_status
from hustings.elections.model import CandidacyState, Candidate
from hustings.elections.service import CandidacyRecord, HandleKey
from hustings.events import Status
from hustings.storage.bulk import chunks, insert_rows
from hustings.storage.database import require_transaction
from hustings.storage.elections_tables import CandidacyRow
from hustings.storage.events import status_from_row
from hustings.storage.messages import SqlMessageRepository
from hustings.storage.tables import StatusRow
from hustings.storage.targets import TargetStore
from hustings.targets.model import Target


class SqlElectionStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.targets = TargetStore(session)

    def statuses(
        self,
        subject_type: str,
        subject_ids: Collection[str] | None = None,
        *,
        due_after: datetime | None = None,
    ) -> dict[str, Status]:
        conditions: list[Any] = [StatusRow.subject_type == subject_type]
        if due_after is not None:
            conditions.append(StatusRow.due_at > due_after)
        if subject_ids is None:
            return {
                row.subject_id: status_from_row(row)
                for row in self.session.scalars(select(StatusRow).where(*conditions))
            }
        found: dict[str, Status] = {}
        for chunk in chunks(sorted(subject_ids)):
            query = select(StatusRow).where(*conditions, StatusRow.subject_id.in_(chunk))
            found.update((row.subject_id, status_from_row(row)) for row in self.session.scalars(query))
        return found

    def candidates_of_targets(self, target_ids: Collection[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in chunks(sorted(target_ids)):
            rows = self.session.execute(
                select(StatusRow.target_id, StatusRow.subject_id).where(
                    StatusRow.subject_type == CANDIDATE, StatusRow.target_id.in_(chunk)
                )
            )
            found.update((str(target_id), subject_id) for target_id, subject_id in rows)
        return found

    def handle_owners(self, handles: Collection[HandleKey]) -> dict[HandleKey, str]:
        return SqlMessageRepository(self.session).resolve_targets(sorted(handles))

    def target(self, target_id: str) -> Target | None:
        return self.targets.get(target_id)

    def create_targets(self, targets: Sequence[Target], *, now: datetime) -> None:
        self.targets.create_many(targets, now=now)

    def update_target(
        self, target_id: str, *, name: str, party: str | None, constituency: str | None
    ) -> None:
        self.targets.update(target_id, name=name, party=party, constituency=constituency)

    def add_handles(self, target_id: str, handles: Sequence[HandleKey]) -> None:
        self.targets.add_handles(target_id, handles)

    def remove_handles(self, target_id: str, handles: Sequence[HandleKey]) -> None:
        self.targets.remove_handles(target_id, handles)

    def index_candidacies(self, candidates: Sequence[Candidate]) -> None:
        require_transaction(self.session)
        people = sorted({c.person_id for c in candidates})
        for chunk in chunks(people):
            self.session.execute(delete(CandidacyRow).where(CandidacyRow.person_id.in_(chunk)))
        insert_rows(
            self.session,
            CandidacyRow,
            [
                {
                    "ballot_paper_id": candidacy.ballot_paper_id,
                    "person_id": candidate.person_id,
                    "election_id": candidacy.election_id,
                    "target_id": candidate.target_id,
                    "state": candidacy.state.value,
                }
                for candidate in candidates
                for candidacy in candidate.candidacies
            ],
        )

    def candidacies(
        self,
        *,
        election_ids: Collection[str] | None = None,
        ballot_ids: Collection[str] | None = None,
        states: Collection[CandidacyState] | None = None,
    ) -> list[CandidacyRecord]:
        query = select(CandidacyRow).order_by(CandidacyRow.ballot_paper_id, CandidacyRow.person_id)
        if election_ids is not None:
            query = query.where(CandidacyRow.election_id.in_(sorted(election_ids)))
        if ballot_ids is not None:
            query = query.where(CandidacyRow.ballot_paper_id.in_(sorted(ballot_ids)))
        if states is not None:
            query = query.where(CandidacyRow.state.in_(sorted(state.value for state in states)))
        return [
            CandidacyRecord(
                person_id=row.person_id,
                ballot_paper_id=row.ballot_paper_id,
                election_id=row.election_id,
                target_id=row.target_id,
                state=CandidacyState(row.state),
            )
            for row in self.session.scalars(query)
        ]

    def reindex(self) -> int:
        """Rebuild the candidacy index from the candidate statuses; return the candidates indexed."""
        require_transaction(self.session)
        self.session.execute(delete(CandidacyRow))
        candidates = [candidate_from_status(s) for s in self.statuses(CANDIDATE).values()]
        self.index_candidacies(candidates)
        return len(candidates)
