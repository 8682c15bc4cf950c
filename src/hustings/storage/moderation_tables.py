"""Moderation's tables: the near-duplicate index. Queues, reports and decisions have no tables of
their own: they are events, and statuses in `subject_status`."""

from __future__ import annotations

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base, EventRow, StatusRow


class ClusterMemberRow(Base):
    """One clustered message: its normalised-text hash, MinHash signature and cluster (if any)."""

    __tablename__ = "moderation_cluster_members"

    message_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    cluster_id: Mapped[str | None] = mapped_column(String(40), index=True)


class ClusterBandRow(Base):
    """One LSH band key of one message; messages sharing a key are near-duplicate candidates."""

    __tablename__ = "moderation_cluster_bands"

    band_key: Mapped[str] = mapped_column(String(24), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), primary_key=True)


# "My reports": a reporter's report.filed events, found by (kind, actor) without a scan.
ix_events_kind_actor = Index("ix_events_kind_actor", EventRow.kind, EventRow.actor, EventRow.seq)

# Queues: every column a queue filters or ranks on, so a large queue is ranked from the index alone.
ix_status_queue_cover = Index(
    "ix_status_queue_cover",
    StatusRow.subject_type,
    StatusRow.state,
    StatusRow.priority,
    StatusRow.due_at,
    StatusRow.target_id,
    StatusRow.category,
    StatusRow.assignee,
    StatusRow.subject_id,
)
