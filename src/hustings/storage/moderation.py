"""Moderation in SQL: the cluster index, queue reads over `subject_status`, and the ingest hook.

Never commits: the caller (route or command) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from hustings.errors import NotFound
from hustings.events import Event, Status, user_actor
from hustings.messages.events import MESSAGE_ASSESSED, SUBJECT
from hustings.messages.ingest import IngestHook, IngestResult
from hustings.moderation.clusters import Indexed, Member, assign_clusters
from hustings.moderation.context import ItemContext, Related, highlight, prior_decisions
from hustings.moderation.decisions import suggested_action
from hustings.moderation.events import REPORT_FILED, FiledReport
from hustings.moderation.policy import Policy, load_policy
from hustings.moderation.queues import (
    BREACH_WINDOW,
    CANDIDATE_WEIGHT,
    CLOCKED_STATES,
    MAX_BOOST,
    OPEN_INCIDENT_WEIGHT,
    URGENCY_STEPS,
    QueueSpec,
    all_queues,
    breach_events,
    effective_priority,
    time_left,
)
from hustings.moderation.reports import file_automated_reports
from hustings.moderation.status import OPEN_STATES, ItemState
from hustings.storage.bulk import among, chunks, insert_rows
from hustings.storage.events import event_from_row, status_from_row
from hustings.storage.moderation_tables import ClusterBandRow, ClusterMemberRow
from hustings.storage.tables import EventRow, MessageRow, MessageTargetRow, StatusRow, TargetRow
from hustings.targets.model import TargetRole

INCIDENT = "incident"
OPEN = "open"

if TYPE_CHECKING:
    from hustings.services import Services


class SqlClusterIndex:
    """`ClusterIndex` over the session: two reads and one write per ingested batch."""

    PER_KEY = 50  # a band shared by very many messages adds little; keep the first few

    def __init__(self, session: Session) -> None:
        self.session = session

    def _members(self, ids: Sequence[str]) -> dict[str, Member]:
        found: dict[str, Member] = {}
        for chunk in chunks(list(ids)):
            rows = self.session.execute(
                select(
                    ClusterMemberRow.message_id, ClusterMemberRow.cluster_id, ClusterMemberRow.signature
                ).where(among(self.session, ClusterMemberRow.message_id, chunk))
            )
            for message_id, cluster_id, signature_ in rows:
                found[message_id] = Member(message_id, cluster_id, bytes(signature_))
        return found

    def lookup(
        self, digests: Sequence[str], keys: Sequence[str]
    ) -> tuple[dict[str, Member], dict[str, list[Member]]]:
        by_digest: dict[str, Member] = {}
        for chunk in chunks(list(dict.fromkeys(digests))):
            rows = self.session.execute(
                select(
                    ClusterMemberRow.text_hash,
                    ClusterMemberRow.message_id,
                    ClusterMemberRow.cluster_id,
                    ClusterMemberRow.signature,
                )
                .where(among(self.session, ClusterMemberRow.text_hash, chunk))
                .order_by(ClusterMemberRow.cluster_id.is_(None), ClusterMemberRow.message_id)
            )
            for digest, message_id, cluster_id, signature_ in rows:
                by_digest.setdefault(digest, Member(message_id, cluster_id, bytes(signature_)))
        key_ids: dict[str, list[str]] = {}
        for chunk in chunks(list(keys)):
            pairs = self.session.execute(
                select(ClusterBandRow.band_key, ClusterBandRow.message_id)
                .where(among(self.session, ClusterBandRow.band_key, chunk))
                .order_by(ClusterBandRow.band_key, ClusterBandRow.message_id)
            )
            for key, message_id in pairs:
                group = key_ids.setdefault(key, [])
                if len(group) < self.PER_KEY:
                    group.append(message_id)
        members = self._members(sorted({mid for group in key_ids.values() for mid in group}))
        by_key = {key: [members[mid] for mid in group if mid in members] for key, group in key_ids.items()}
        return by_digest, by_key

    def save(self, entries: Sequence[Indexed], clusters: dict[str, str]) -> None:
        insert_rows(
            self.session,
            ClusterMemberRow,
            [
                {
                    "message_id": entry.message_id,
                    "text_hash": entry.text_hash,
                    "signature": entry.signature,
                    "cluster_id": entry.cluster_id,
                }
                for entry in entries
            ],
        )
        insert_rows(
            self.session,
            ClusterBandRow,
            [
                {"band_key": key, "message_id": entry.message_id}
                for entry in entries
                for key in dict.fromkeys(entry.band_keys)
            ],
        )
        by_cluster: dict[str, list[str]] = {}
        for message_id, cluster_id in clusters.items():
            by_cluster.setdefault(cluster_id, []).append(message_id)
        for cluster_id, ids in by_cluster.items():
            self.session.execute(
                update(ClusterMemberRow)
                .where(ClusterMemberRow.message_id.in_(ids))
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


def _urgency_sql(now: datetime) -> ColumnElement[float]:
    whens = [(StatusRow.due_at <= now + limit, weight) for limit, weight in URGENCY_STEPS]
    return case(*whens, else_=0.0)


def _exposure_sql() -> ColumnElement[float]:
    incident_status = aliased(StatusRow)
    incidents = (
        select(incident_status.target_id)
        .where(
            incident_status.subject_type == INCIDENT,
            incident_status.state == OPEN,
            incident_status.target_id.is_not(None),
        )
        .scalar_subquery()
    )
    candidates = select(TargetRow.id).where(TargetRow.role == TargetRole.CANDIDATE.value).scalar_subquery()
    return case((StatusRow.target_id.in_(incidents), OPEN_INCIDENT_WEIGHT), else_=0.0) + case(
        (StatusRow.target_id.in_(candidates), CANDIDATE_WEIGHT), else_=0.0
    )


@dataclass(frozen=True, slots=True)
class QueueEntry:
    status: Status
    priority: float
    """The effective priority: the queue's sort key."""


class ModerationReads:
    """Queue pages, counts, clusters and an item's context, read from status and the log."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def queue_query(
        self,
        spec: QueueSpec,
        *,
        now: datetime,
        reader_id: str | None,
        by_base: bool = False,
        floor: float | None = None,
    ) -> Select[str, float]:
        """The queue's order as (subject id, effective priority).

        It reads only columns of `ix_status_queue_cover`, so PostgreSQL can rank a large queue
        from the index alone; `queue_page` then loads the full rows of one page. `by_base` orders
        by the stored base priority instead (an index range scan); `floor` skips items whose base
        priority is below it.
        """
        score = (StatusRow.priority + _exposure_sql() + _urgency_sql(now)).label("score")
        query = select(StatusRow.subject_id, score).where(
            StatusRow.subject_type == SUBJECT, StatusRow.state.in_(spec.states)
        )
        if spec.category is not None:
            query = query.where(StatusRow.category == spec.category)
        if spec.mine:
            query = query.where(StatusRow.assignee == (reader_id or ""))
        if floor is not None:
            query = query.where(StatusRow.priority >= floor)
        if spec.due_soon:
            return query.where(StatusRow.due_at <= now + BREACH_WINDOW).order_by(
                StatusRow.due_at.asc(), StatusRow.subject_id
            )
        if by_base:
            return query.order_by(StatusRow.priority.desc(), StatusRow.subject_id)
        return query.order_by(score.desc(), StatusRow.due_at.asc().nulls_last(), StatusRow.subject_id)

    def _floor(self, spec: QueueSpec, *, now: datetime, reader_id: str | None, wanted: int) -> float | None:
        """A base priority below which no item can reach the first `wanted` places.

        A few cheap probes (index range scans by base priority: overall, in each band of time
        left, and for targets under an open incident) find real items of the queue; the
        `wanted`-th best effective priority among them, L, is at most the `wanted`-th best of the
        whole queue. An item whose base priority plus the largest possible boost is below L
        cannot reach the first `wanted` places, so ranking may skip it.
        """
        if spec.due_soon:
            return None
        incidents, _ = exposure_sets(self.session)
        slices: list[ColumnElement[bool] | None] = [None]
        slices += [StatusRow.due_at <= now + limit for limit, _ in URGENCY_STEPS]
        if incidents:
            slices.append(StatusRow.target_id.in_(sorted(incidents)))
        found: dict[str, float] = {}
        for where in slices:
            probe = self.queue_query(spec, now=now, reader_id=reader_id, by_base=True)
            if where is not None:
                probe = probe.where(where)
            found.update(
                (str(subject_id), float(score))
                for subject_id, score in self.session.execute(probe.limit(wanted))
            )
        if len(found) < wanted:
            return None
        best = sorted(found.values(), reverse=True)[wanted - 1]
        return best - MAX_BOOST - 1e-9

    def queue_page(
        self, spec: QueueSpec, *, now: datetime, reader_id: str | None, limit: int = 50, offset: int = 0
    ) -> list[QueueEntry]:
        floor = self._floor(spec, now=now, reader_id=reader_id, wanted=offset + limit)
        ranked = self.session.execute(
            self.queue_query(spec, now=now, reader_id=reader_id, floor=floor).limit(limit).offset(offset)
        ).all()
        rows = self.statuses([subject_id for subject_id, _ in ranked])
        return [
            QueueEntry(rows[subject_id], round(float(score), 6))
            for subject_id, score in ranked
            if subject_id in rows
        ]

    def next_item(self, spec: QueueSpec, *, now: datetime, reader_id: str) -> QueueEntry | None:
        """The first item of a queue this reader has not skipped."""
        for offset in range(0, 1000, 100):
            page = self.queue_page(spec, now=now, reader_id=reader_id, limit=100, offset=offset)
            for entry in page:
                if reader_id not in entry.status.data.get("skipped_by", []):
                    return entry
            if len(page) < 100:
                return None
        return None

    def queue_counts(self, *, now: datetime, reader_id: str | None) -> dict[str, int]:
        counts: dict[str, int] = {}
        by_state = dict(
            self.session.execute(
                select(StatusRow.state, func.count())
                .where(StatusRow.subject_type == SUBJECT, StatusRow.state.in_(OPEN_STATES))
                .group_by(StatusRow.state)
            ).all()
        )
        by_category = dict(
            self.session.execute(
                select(StatusRow.category, func.count())
                .where(
                    StatusRow.subject_type == SUBJECT,
                    StatusRow.state.in_([ItemState.REPORTED, ItemState.ESCALATED]),
                )
                .group_by(StatusRow.category)
            ).all()
        )
        breaching = self.session.scalar(
            select(func.count()).where(
                StatusRow.subject_type == SUBJECT,
                StatusRow.state.in_(CLOCKED_STATES),
                StatusRow.due_at <= now + BREACH_WINDOW,
            )
        )
        mine = self.session.scalar(
            select(func.count()).where(
                StatusRow.subject_type == SUBJECT,
                StatusRow.state == ItemState.CLAIMED,
                StatusRow.assignee == (reader_id or ""),
            )
        )
        for spec in all_queues():
            if spec.due_soon:
                counts[spec.name] = int(breaching or 0)
            elif spec.mine:
                counts[spec.name] = int(mine or 0)
            elif spec.category is not None:
                counts[spec.name] = int(by_category.get(spec.category, 0))
            else:
                counts[spec.name] = sum(int(by_state.get(state, 0)) for state in spec.states)
        return counts

    def overdue_unflagged(self, now: datetime, limit: int = 1000) -> list[Status]:
        """Open items past their due time that have raised no alert yet."""
        breached = StatusRow.data["breached"].as_boolean()
        query = select(StatusRow).where(
            StatusRow.subject_type == SUBJECT,
            StatusRow.state.in_(CLOCKED_STATES),
            StatusRow.due_at <= now,
            or_(breached.is_(None), breached.is_(False)),
        )
        rows = self.session.scalars(query.order_by(StatusRow.due_at).limit(limit))
        return [status_from_row(row) for row in rows]

    def cluster_members(self, cluster_id: str, limit: int = 5000) -> list[Status]:
        rows = self.session.scalars(
            select(StatusRow)
            .where(StatusRow.subject_type == SUBJECT, StatusRow.cluster_id == cluster_id)
            .order_by(StatusRow.subject_id)
            .limit(limit)
        )
        return [status_from_row(row) for row in rows]

    def reports_by(self, reporter_id: str, limit: int = 200) -> list[Event]:
        """A reporter's own reports, newest first."""
        rows = self.session.scalars(
            select(EventRow)
            .where(EventRow.kind == REPORT_FILED, EventRow.actor == user_actor(reporter_id))
            .order_by(EventRow.seq.desc())
            .limit(limit)
        )
        return [event_from_row(row) for row in rows]

    def statuses(self, message_ids: Sequence[str]) -> dict[str, Status]:
        found = self.session.scalars(
            select(StatusRow).where(
                StatusRow.subject_type == SUBJECT, StatusRow.subject_id.in_(list(message_ids))
            )
        )
        return {row.subject_id: status_from_row(row) for row in found}

    def texts(self, message_ids: Sequence[str]) -> dict[str, str]:
        rows = self.session.execute(
            select(MessageRow.id, MessageRow.text).where(MessageRow.id.in_(list(message_ids)))
        )
        return {str(message_id): str(text_) for message_id, text_ in rows}

    def replies_to(self, message_id: str, limit: int = 20) -> list[str]:
        return list(
            self.session.scalars(
                select(MessageRow.id)
                .where(MessageRow.in_reply_to_id == message_id)
                .order_by(MessageRow.created_at)
                .limit(limit)
            )
        )

    def author_history(
        self, author_key: str, target_ids: Sequence[str], exclude: str, limit: int = 20
    ) -> list[str]:
        """Other messages from this author to any of these targets, newest first."""
        if not target_ids:
            return []
        return list(
            self.session.scalars(
                select(MessageRow.id)
                .join(MessageTargetRow, MessageTargetRow.message_id == MessageRow.id)
                .where(
                    MessageRow.author_key == author_key,
                    MessageTargetRow.target_id.in_(list(target_ids)),
                    MessageRow.id != exclude,
                )
                .group_by(MessageRow.id, MessageRow.created_at)
                .order_by(MessageRow.created_at.desc())
                .limit(limit)
            )
        )


def exposure_sets(session: Session) -> tuple[set[str], set[str]]:
    """(targets with an open incident, targets who are candidates)."""
    incidents = set(
        session.scalars(
            select(StatusRow.target_id).where(
                StatusRow.subject_type == INCIDENT, StatusRow.state == OPEN, StatusRow.target_id.is_not(None)
            )
        )
    )
    candidates = set(
        session.scalars(select(TargetRow.id).where(TargetRow.role == TargetRole.CANDIDATE.value))
    )
    return {str(t) for t in incidents if t}, candidates


def sweep_clocks(services: Services, limit: int = 1000) -> int:
    """Raise a `clock.breached` alert on each open item past its due time; return how many.

    Runs on its own schedule (`hustings moderation sweep`, and every
    `HUSTINGS_CLOCK_SWEEP_SECONDS` in `hustings serve`), never on a read.
    """
    now = services.clock.now()
    events = breach_events(ModerationReads(services.session).overdue_unflagged(now, limit), now)
    return len(services.log.append_many(events).appended) if events else 0


def _related(services: Services, ids: Sequence[str], statuses: dict[str, Status]) -> list[Related]:
    found: list[Related] = []
    for message_id in ids:
        message = services.messages.get(message_id)
        if message is not None:
            found.append(Related(message, statuses.get(message_id)))
    return found


def load_item_context(services: Services, message_id: str, policy: Policy | None = None) -> ItemContext:
    """Everything the item page shows; `NotFound` for an unknown message."""
    policy = policy or load_policy()
    message = services.messages.get(message_id)
    status = services.events.status(SUBJECT, message_id)
    if message is None or status is None:
        raise NotFound(f"message_id: no item {message_id!r}")
    reads = ModerationReads(services.session)
    events = services.events.events_for(SUBJECT, message_id)
    assessed = [event for event in events if event.kind == MESSAGE_ASSESSED]
    latest = assessed[-1].payload if assessed else {}
    reports = [FiledReport.from_event(event) for event in events if event.kind == REPORT_FILED]
    thread_ids: list[str] = []
    parent = message.in_reply_to_id
    while parent and len(thread_ids) < 10 and parent not in thread_ids:
        thread_ids.insert(0, parent)
        found = services.messages.get(parent)
        parent = found.in_reply_to_id if found else None
    replies = reads.replies_to(message_id)
    history = reads.author_history(message.author.key, message.target_ids, exclude=message_id)
    cluster = reads.cluster_members(status.cluster_id, limit=500) if status.cluster_id else []
    related_statuses = reads.statuses([*thread_ids, *replies, *history])
    rule, action = suggested_action(status, policy)
    now = services.clock.now()
    incidents, candidates = exposure_sets(services.session)
    names = {}
    for target_id in message.target_ids:
        target = services.targets.get(target_id)
        if target is not None:
            names[target_id] = f"{target.name} ({target.role.value})"
    return ItemContext(
        status=status,
        message=message,
        segments=highlight(message.text, latest.get("evidence", [])),
        labels={str(k): float(v) for k, v in (latest.get("labels") or {}).items()},
        model=assessed[-1].model if assessed else None,
        reports=reports,
        timeline=events,
        thread=_related(services, [*thread_ids, *replies], related_statuses),
        author_history=_related(services, history, related_statuses),
        cluster=[member for member in cluster if member.subject_id != message_id],
        prior=prior_decisions(cluster),
        suggested_rule=rule,
        suggested_action=action,
        time_left=time_left(status, now),
        priority=effective_priority(status, now, incidents, candidates),
        target_names=names,
    )
