"""Moderation in SQL: the cluster index, queue reads over `subject_status`, and the ingest hook.

Never commits: the caller (route or command) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from hustings.messages.ingest import IngestHook, IngestResult
from hustings.moderation.clusters import Member, assign_clusters
from hustings.moderation.reports import file_automated_reports
from hustings.storage.moderation_tables import ClusterBandRow, ClusterMemberRow

if TYPE_CHECKING:
    from hustings.services import Services


class SqlClusterIndex:
    """`ClusterIndex` over the session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_text_hash(self, digest: str) -> Member | None:
        row = self.session.execute(
            select(ClusterMemberRow.message_id, ClusterMemberRow.cluster_id, ClusterMemberRow.signature)
            .where(ClusterMemberRow.text_hash == digest)
            .order_by(ClusterMemberRow.cluster_id.is_(None), ClusterMemberRow.message_id)
            .limit(1)
        ).first()
        return None if row is None else Member(row[0], row[1], row[2])

    def candidates(self, keys: Sequence[str]) -> list[Member]:
        ids = select(ClusterBandRow.message_id).where(ClusterBandRow.band_key.in_(list(keys))).distinct()
        rows = self.session.execute(
            select(ClusterMemberRow.message_id, ClusterMemberRow.cluster_id, ClusterMemberRow.signature)
            .where(ClusterMemberRow.message_id.in_(ids))
            .order_by(ClusterMemberRow.message_id)
            .limit(200)
        )
        return [Member(row[0], row[1], row[2]) for row in rows]

    def add(
        self, message_id: str, digest: str, values: bytes, keys: Sequence[str], cluster_id: str | None
    ) -> None:
        if self.session.get(ClusterMemberRow, message_id) is not None:
            return
        self.session.execute(
            insert(ClusterMemberRow).values(
                message_id=message_id, text_hash=digest, signature=values, cluster_id=cluster_id
            )
        )
        self.session.execute(
            insert(ClusterBandRow),
            [{"band_key": key, "message_id": message_id} for key in dict.fromkeys(keys)],
        )

    def set_cluster(self, message_id: str, cluster_id: str) -> None:
        self.session.execute(
            update(ClusterMemberRow)
            .where(ClusterMemberRow.message_id == message_id)
            .values(cluster_id=cluster_id)
        )


def moderation_intake(services: Services) -> IngestHook:
    """The ingest hook: cluster every new message, and file an `automated` report for each
    message whose assessment flagged something."""

    def hook(result: IngestResult) -> None:
        if not result.stored:
            return
        clustered = assign_clusters(
            SqlClusterIndex(services.session),
            [(message.id, message.text) for message in result.stored],
            services.clock,
        )
        if clustered:
            services.log.append_many(clustered)
        if result.assessments:
            file_automated_reports(services.log, services.clock, result.assessments)

    return hook
