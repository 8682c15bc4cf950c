"""Moderation in SQL: the near-duplicate index, queue reads over `subject_status`, and what the
item page reads around a message. The `ModerationStore` that `Services.moderation` works over.

Never commits: the caller (route or command) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from hustings.elections.events import ELECTION, election_from_status
from hustings.elections.model import EXPOSED
from hustings.events import Event, Status, user_actor
from hustings.messages.events import SUBJECT
from hustings.messages.model import Message
from hustings.moderation.clusters import MAX_PER_BAND, Indexed, Member
from hustings.moderation.events import REPORT_FILED
from hustings.moderation.queues import (
    BREACH_WINDOW,
    CANDIDATE_WEIGHT,
    CLOCKED_STATES,
    LANE_STATES,
    MAX_BOOST,
    OPEN_INCIDENT_WEIGHT,
    URGENCY_STEPS,
    Exposure,
    QueueEntry,
    QueueSearch,
    QueueSpec,
    all_queues,
)
from hustings.moderation.status import OPEN_STATES, ItemState
from hustings.protection.events import INCIDENT
from hustings.storage.bulk import among, chunks, insert_rows
from hustings.storage.elections_tables import CandidacyRow
from hustings.storage.events import SqlEventStore, event_from_row, status_from_row
from hustings.storage.messages import SqlMessageRepository
from hustings.storage.moderation_tables import ClusterBandRow, ClusterMemberRow
from hustings.storage.tables import AuthorRow, EventRow, MessageRow, StatusRow
from hustings.storage.targets import TargetStore
from hustings.targets.model import Target

INCIDENT_OPEN = "open"  # an open incident's state (`hustings.protection.events.reduce_incident`)


def _urgency_sql(now: datetime) -> ColumnElement[float]:
    whens = [(StatusRow.due_at <= now + limit, weight) for limit, weight in URGENCY_STEPS]
    return case(*whens, else_=0.0)


def _exposure_sql(election_ids: Sequence[str]) -> ColumnElement[float]:
    """The exposure boost in SQL: an open incident against the target, and a target standing in
    one of `election_ids` (the elections in their period of heightened protection)."""
    incident_status = aliased(StatusRow)
    incidents = (
        select(incident_status.target_id)
        .where(
            incident_status.subject_type == INCIDENT,
            incident_status.state == INCIDENT_OPEN,
            incident_status.target_id.is_not(None),
        )
        .scalar_subquery()
    )
    return case((StatusRow.target_id.in_(incidents), OPEN_INCIDENT_WEIGHT), else_=0.0) + case(
        (StatusRow.target_id.in_(_standing_in(election_ids).scalar_subquery()), CANDIDATE_WEIGHT), else_=0.0
    )


def _standing_in(election_ids: Sequence[str]) -> Select[str]:
    return select(CandidacyRow.target_id).where(
        CandidacyRow.election_id.in_(list(election_ids)),
        CandidacyRow.state.in_(sorted(state.value for state in EXPOSED)),
    )


class SqlModerationStore:
    """`ModerationStore` over one session: two reads and one write per ingested batch for the
    cluster index, queues ranked in SQL, and an item's context."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._events = SqlEventStore(session)
        self._messages = SqlMessageRepository(session)
        self._targets = TargetStore(session)

    # ------------------------------------------------------------ the near-duplicate index

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
                if len(group) < MAX_PER_BAND:
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

    # ------------------------------------------------------------ an item and its context

    def message(self, message_id: str) -> Message | None:
        return self._messages.get(message_id)

    def events_for(self, message_id: str) -> list[Event]:
        return self._events.events_for(SUBJECT, message_id)

    def thread(self, message: Message, depth: int) -> list[Message]:
        return self._messages.thread(message, depth)

    def replies(self, message_id: str, limit: int) -> list[Message]:
        return self._messages.replies(message_id, limit)

    def author_history(self, message: Message, limit: int) -> list[Message]:
        return self._messages.author_history(message, limit)

    def target(self, target_id: str) -> Target | None:
        return self._targets.get(target_id)

    def elections_in_period(self, now: datetime) -> list[str]:
        """The ids of the elections whose period of heightened protection contains `now`."""
        rows = self.session.scalars(
            select(StatusRow).where(StatusRow.subject_type == ELECTION, StatusRow.due_at > now)
        )
        return sorted(e.id for e in map(election_from_status, map(status_from_row, rows)) if e.in_period(now))

    def exposure(self, now: datetime) -> Exposure:
        incidents = self.session.scalars(
            select(StatusRow.target_id).where(
                StatusRow.subject_type == INCIDENT,
                StatusRow.state == INCIDENT_OPEN,
                StatusRow.target_id.is_not(None),
            )
        )
        candidates = self.session.scalars(_standing_in(self.elections_in_period(now)))
        return Exposure(
            incident_targets=frozenset(str(t) for t in incidents if t),
            candidate_targets=frozenset(candidates),
        )

    # ------------------------------------------------------------ queues

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
        exposure = _exposure_sql(self.elections_in_period(now))
        score = (StatusRow.priority + exposure + _urgency_sql(now)).label("score")
        query = select(StatusRow.subject_id, score).where(
            StatusRow.subject_type == SUBJECT, StatusRow.state.in_(spec.states)
        )
        if spec.category is not None:
            query = query.where(StatusRow.category == spec.category)
        if spec.election_id is not None or spec.ballot_id is not None:
            candidates = select(CandidacyRow.target_id)
            if spec.election_id is not None:
                candidates = candidates.where(CandidacyRow.election_id == spec.election_id)
            if spec.ballot_id is not None:
                candidates = candidates.where(CandidacyRow.ballot_paper_id == spec.ballot_id)
            query = query.where(StatusRow.target_id.in_(candidates.scalar_subquery()))
        if spec.mine:
            query = query.where(StatusRow.assignee == (reader_id or ""))
        query = _searched(query, spec.search)
        if floor is not None:
            query = query.where(StatusRow.priority >= floor)
        if spec.lane:
            # ISO times in UTC, as the reducer writes them, sort as text in time order.
            lane_due = StatusRow.data["lane_due_at"].as_string()
            return query.where(lane_due.is_not(None)).order_by(lane_due.asc(), StatusRow.subject_id)
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
        if spec.due_soon or spec.lane:
            return None
        incidents = self.exposure(now).incident_targets
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
        lane = self.session.scalar(
            select(func.count()).where(
                StatusRow.subject_type == SUBJECT,
                StatusRow.state.in_(LANE_STATES),
                StatusRow.data["lane_due_at"].as_string().is_not(None),
            )
        )
        for spec in all_queues():
            if spec.lane:
                counts[spec.name] = int(lane or 0)
            elif spec.due_soon:
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


def _searched(query: Select[str, float], search: QueueSearch) -> Select[str, float]:
    """The queue narrowed to what the moderator searched for; the message-side parts are one
    subquery on `messages` (by its primary key), so an unsearched queue reads as before."""
    if search.target_id:
        query = query.where(StatusRow.target_id == search.target_id)
    if search.label:
        query = query.where(StatusRow.category == search.label)
    if not (search.author or search.text or search.since or search.until):
        return query
    messages = select(MessageRow.id)
    if search.author:
        handles = select(AuthorRow.key).where(
            func.lower(AuthorRow.handle).contains(search.author.lstrip("@").lower(), autoescape=True)
        )
        messages = messages.where(MessageRow.author_key.in_(handles.scalar_subquery()))
    if search.text:
        messages = messages.where(func.lower(MessageRow.text).contains(search.text.lower(), autoescape=True))
    if search.sent_from is not None:
        messages = messages.where(MessageRow.created_at >= search.sent_from)
    if search.sent_before is not None:
        messages = messages.where(MessageRow.created_at < search.sent_before)
    return query.where(StatusRow.subject_id.in_(messages.scalar_subquery()))
