"""Elections' one table: the candidacy index.

Elections and candidates are events, and statuses in `subject_status` (see
`hustings.elections.events`). This table lists each candidate's candidacies by ballot and
election, so that the targets of a ballot, an election or every election in its period are an
indexed query rather than a read of every candidate's status. It is written from the candidate
statuses in the same transaction as their events (`SqlElectionStore.index_candidacies`), and can
be rebuilt from them (`SqlElectionStore.reindex`).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base


class CandidacyRow(Base):
    __tablename__ = "election_candidacies"

    ballot_paper_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    election_id: Mapped[str] = mapped_column(String(200))
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        Index("ix_election_candidacies_election", "election_id", "state"),
        Index("ix_election_candidacies_person", "person_id"),
    )
