"""Moderation as one service: the use cases over a storage interface, the event log, the clock
and the policy in force.

`Services.moderation` builds the one `Moderation` of a unit of work (over
`hustings.storage.moderation.SqlModerationStore`); domain tests build one over
`hustings.moderation.memory.InMemoryModerationStore`. The rules themselves stay in the pure
modules beside this one (`reports`, `work`, `decisions`, `appeals`, `clusters`, `queues`); this
class gives them their log, clock and policy, and reads what they need from the store.

Nothing here commits: the caller owns the transaction, so an event and the status it produces
are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from hustings.auth.model import User
from hustings.clock import Clock
from hustings.detect.assessment import Assessment
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.events import Event, EventLog, Status, model_actor
from hustings.messages.changes import is_reassessment, source_history
from hustings.messages.events import MESSAGE_ASSESSED
from hustings.messages.ingest import IngestResult
from hustings.messages.model import Message
from hustings.moderation import appeals, decisions, work
from hustings.moderation.clusters import ClusterIndex, assign_clusters
from hustings.moderation.context import (
    ItemContext,
    Related,
    TextGroup,
    group_by_text,
    highlight,
    prior_decisions,
)
from hustings.moderation.decisions import (
    DecisionOutcome,
    DecisionRequest,
    cluster_claim_problem,
    decidable_by,
    suggested_action,
)
from hustings.moderation.events import DECISION_MADE, REPORT_FILED, Action, FiledReport, ReporterKind
from hustings.moderation.policy import Policy, Rule
from hustings.moderation.queues import (
    TEAM,
    Exposure,
    QueueEntry,
    QueueRow,
    QueueSpec,
    breach_events,
    effective_priority,
    fold_near_duplicates,
    time_left,
)
from hustings.moderation.reports import (
    ModerationState,
    ReportOutcome,
    automated_report_id,
    file_automated_reports,
    file_report,
    message_id_of,
    moderation_state,
    reasons_in_words,
    report_event,
    report_view,
    reporter_kind_for,
)
from hustings.targets.model import Target

THREAD_DEPTH = 10
"""How far up the reply chain the item page goes."""
THREAD_REPLIES = 20
AUTHOR_HISTORY = 20
"""The author's latest messages to the same targets shown beside an item."""
CLUSTER_SHOWN = 500
CLUSTER_DECIDED = 5000
"""At most this many members of a cluster take one cluster decision."""
BATCH_MAX = 200
"""At most this many items selected on a queue page take one batch decision."""
TEAM_SHOWN = 1000


class ModerationStore(ClusterIndex, Protocol):
    """What moderation reads besides the event log, and its near-duplicate index. Never commits.

    Statuses here are message subjects' (`hustings.messages.events.SUBJECT`).
    """

    def message(self, message_id: str) -> Message | None: ...

    def events_for(self, message_id: str) -> list[Event]:
        """A message's events, in log order."""
        ...

    def thread(self, message: Message, depth: int) -> list[Message]:
        """The messages it replies to, up the chain to at most `depth`, oldest first."""
        ...

    def replies(self, message_id: str, limit: int) -> list[Message]:
        """The first `limit` replies to it, oldest first."""
        ...

    def author_history(self, message: Message, limit: int) -> list[Message]:
        """Other messages from its author to any of its targets, the newest `limit`, newest first."""
        ...

    def target(self, target_id: str) -> Target | None: ...

    def exposure(self, now: datetime) -> Exposure:
        """Targets under an open incident, and candidates in an election in its period at `now`."""
        ...

    def queue_page(
        self, spec: QueueSpec, *, now: datetime, reader_id: str | None, limit: int, offset: int
    ) -> list[QueueEntry]:
        """A page of a queue in its order: effective priority, highest first (the breaching queue:
        soonest due first), then the sooner due, then by message id."""
        ...

    def queue_counts(self, *, now: datetime, reader_id: str | None) -> dict[str, int]:
        """How many items each queue of `all_queues()` holds, by queue name."""
        ...

    def overdue_unflagged(self, now: datetime, limit: int) -> list[Status]:
        """Items in a clocked state past their due time that have raised no alert, soonest due first."""
        ...

    def cluster_members(self, cluster_id: str, limit: int) -> list[Status]:
        """The statuses of a cluster's members, by message id."""
        ...

    def statuses(self, message_ids: Sequence[str]) -> dict[str, Status]: ...

    def texts(self, message_ids: Sequence[str]) -> dict[str, str]: ...

    def reports_by(self, reporter_id: str, limit: int) -> list[Event]:
        """The `report.filed` events a user filed, newest first."""
        ...


class Moderation:
    """Reports, the work on items, decisions, appeals, the ingest hook, the clocks and the queues."""

    def __init__(self, store: ModerationStore, log: EventLog, clock: Clock, policy: Policy) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.policy = policy

    # ------------------------------------------------------------ reports

    def file_report(
        self,
        *,
        message_id: str,
        reporter: User,
        category: str,
        claims_illegal: bool = False,
        note: str = "",
        reporter_kind: ReporterKind | None = None,
        idempotency_key: str | None = None,
    ) -> ReportOutcome:
        """File a person's report on a message (see `reports.file_report`).

        The reporter's kind comes from their roles and the message's targets unless given.
        `NotFound` for an unknown message.
        """
        if reporter_kind is None:
            message = self.store.message(message_id)
            if message is None:
                raise NotFound(f"message_id: no message {message_id!r}")
            reporter_kind = reporter_kind_for(reporter, message.target_ids)
        return file_report(
            self.log,
            self.clock,
            message_id=message_id,
            reporter=reporter,
            reporter_kind=reporter_kind,
            category=category,
            claims_illegal=claims_illegal,
            note=note,
            policy=self.policy,
            idempotency_key=idempotency_key,
        )

    def file_private_detail_report(
        self, message_id: str, *, kinds: Sequence[str], model: str, clock_hours: int
    ) -> str | None:
        """File the automated `doxxing` report for a message that names a target's registered
        private details (their kinds, never the details), due within `clock_hours` and in the
        priority lane with the same time; return its id, or None if this model had already
        reported the message."""
        report_id = automated_report_id(message_id, model)
        event = report_event(
            message_id=message_id,
            report_id=report_id,
            reporter_kind=ReporterKind.AUTOMATED,
            reporter_id=model_actor(model),
            actor=model_actor(model),
            category="doxxing",
            claims_illegal=True,
            note="names private details from the target's register: " + ", ".join(kinds),
            repeat=False,
            policy=self.policy,
            clock=self.clock,
            model=model,
            clock_hours=clock_hours,
            lane_hours=clock_hours,
        )
        return report_id if self.log.append_many([event]).appended else None

    def reports_of(self, reporter: User, limit: int = 200) -> list[dict[str, Any]]:
        """A reporter's own reports, newest first, each with what happened to it (never who decided)."""
        events = self.store.reports_by(reporter.id, limit)
        statuses = self.store.statuses([event.subject_id for event in events])
        return [
            report_view(FiledReport.from_event(event), statuses[event.subject_id])
            for event in events
            if event.subject_id in statuses
        ]

    def reports_in_full(self, reporter: User, limit: int = 200) -> list[dict[str, Any]]:
        """`reports_of`, each with the message's text (`text`), the labels the detector flagged on
        it (`flagged`, so a page can mask it), its `moderation_state` and the decision's statement
        of reasons in words (`reasons`)."""
        reports = self.reports_of(reporter, limit)
        ids = list(dict.fromkeys(str(report["message_id"]) for report in reports))
        texts = self.store.texts(ids)
        statuses = self.store.statuses(ids)
        reasons: dict[str, list[tuple[str, str]]] = {}
        for message_id, decided in statuses.items():
            if "decision" in decided.data:
                made = [e for e in self.store.events_for(message_id) if e.kind == DECISION_MADE]
                reasons[message_id] = reasons_in_words(made[-1] if made else None)
        for report in reports:
            message_id = str(report["message_id"])
            found = statuses.get(message_id)
            report.update(
                text=texts.get(message_id, ""),
                flagged=list(found.data.get("flagged", [])) if found is not None else [],
                moderation_state=moderation_state(found),
                reasons=reasons.get(message_id, []),
            )
        return reports

    def moderation_states(self, message_ids: Sequence[str]) -> dict[str, ModerationState]:
        """Where moderation stands on each message that someone reported (the others are left out)."""
        found = {mid: moderation_state(status) for mid, status in self.store.statuses(message_ids).items()}
        return {mid: state for mid, state in found.items() if state is not None}

    def report_of(self, reporter: User, report_id: str) -> dict[str, Any]:
        """One of the reporter's reports and its outcome; someone else's report is `NotFound`."""
        message_id = message_id_of(report_id)
        for event in self.store.events_for(message_id):
            if event.kind != REPORT_FILED:
                continue
            report = FiledReport.from_event(event)
            if report.report_id == report_id and report.reporter_id == reporter.id:
                status = self.store.statuses([message_id]).get(message_id)
                if status is not None:
                    return report_view(report, status)
        raise NotFound(f"report_id: no report {report_id!r} of yours")

    # ------------------------------------------------------------ working an item

    def item(self, message_id: str) -> Status:
        """An item's status; `NotFound` if there is none."""
        return work.load_item(self.log, message_id)

    def claim(self, *, moderator: User, message_id: str) -> Status:
        with work.refused_on_race():
            return work.claim(self.log, self.clock, moderator=moderator, message_id=message_id)

    def release(self, *, moderator: User, message_id: str) -> Status:
        with work.refused_on_race():
            return work.release(self.log, self.clock, moderator=moderator, message_id=message_id)

    def skip(self, *, moderator: User, message_id: str) -> Status:
        with work.refused_on_race():
            return work.skip(self.log, self.clock, moderator=moderator, message_id=message_id)

    def escalate(self, *, moderator: User, message_id: str, reason: str) -> Status:
        with work.refused_on_race():
            return work.escalate(
                self.log, self.clock, moderator=moderator, message_id=message_id, reason=reason
            )

    def assign(self, *, moderator: User, colleague: User, message_id: str) -> Status:
        """Hand an item to a named colleague (see `work.assign`)."""
        with work.refused_on_race():
            return work.assign(
                self.log, self.clock, moderator=moderator, colleague=colleague, message_id=message_id
            )

    def undoable(self, *, moderator: User, message_id: str) -> str | None:
        """What of this moderator's can still be taken back on the item ("release", "skip",
        "escalate"), or None."""
        last = work.undoable(self.store.events_for(message_id), moderator)
        return None if last is None else work.UNDO_KINDS[last.kind]

    def undo(self, *, moderator: User, message_id: str) -> str:
        """Take back this moderator's last release, skip or escalation; returns which it was."""
        events = self.store.events_for(message_id)
        last = work.undoable(events, moderator)
        with work.refused_on_race():
            work.undo(self.log, self.clock, moderator=moderator, message_id=message_id, events=events)
        assert last is not None  # work.undo refuses when there is nothing to undo
        return work.UNDO_KINDS[last.kind]

    def team(self) -> dict[str, list[QueueEntry]]:
        """Who holds what: claimed items by the moderator holding them, highest priority first."""
        held: dict[str, list[QueueEntry]] = {}
        for entry in self.queue_page(TEAM, reader_id=None, limit=TEAM_SHOWN):
            held.setdefault(entry.status.assignee or "", []).append(entry)
        return held

    # ------------------------------------------------------------ decisions and appeals

    def cluster_preview(self, *, moderator: User, message_id: str) -> tuple[list[Status], list[TextGroup]]:
        """What a decision on the item's whole cluster would decide: the item and every member
        this moderator can decide now, and those grouped by text. The item must be claimed by
        the moderator first: a decision on many messages is taken by someone holding one."""
        item = self.item(message_id)
        claim_problem = cluster_claim_problem(item, moderator)
        if claim_problem is not None:
            raise Conflict(claim_problem)
        if item.cluster_id is None:
            raise InvalidInput("apply_to_cluster: this item has no near-duplicates")
        members = [
            member
            for member in self.store.cluster_members(item.cluster_id, CLUSTER_DECIDED)
            if member.subject_id != message_id and decidable_by(member, moderator) is None
        ]
        chosen = [item, *members]
        return chosen, group_by_text(chosen, self.texts([m.subject_id for m in chosen]))

    def batch_preview(
        self, *, moderator: User, message_ids: Sequence[str]
    ) -> tuple[list[Status], dict[str, str], list[TextGroup]]:
        """What a batch decision on the selected items would decide: those this moderator can
        decide now, those left out with why, and the first grouped by text."""
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            raise InvalidInput("message_ids: select at least one item")
        if len(ids) > BATCH_MAX:
            raise InvalidInput(f"message_ids: at most {BATCH_MAX} items at once")
        statuses = self.store.statuses(ids)
        chosen: list[Status] = []
        left: dict[str, str] = {}
        for message_id in ids:
            status = statuses.get(message_id)
            why = "not found" if status is None else decidable_by(status, moderator)
            if status is not None and why is None:
                chosen.append(status)
            else:
                left[message_id] = str(why)
        return chosen, left, group_by_text(chosen, self.texts([m.subject_id for m in chosen]))

    def decide_batch(
        self,
        *,
        moderator: User,
        message_ids: Sequence[str],
        action: Action,
        policy_rule: str,
        decision_facts: str = "",
    ) -> DecisionOutcome:
        """One decision on several selected items (see `decisions.decide_batch`)."""
        chosen, left, _ = self.batch_preview(moderator=moderator, message_ids=message_ids)
        with work.refused_on_race():
            outcome = decisions.decide_batch(
                self.log,
                self.clock,
                moderator=moderator,
                items=chosen,
                action=action,
                policy_rule=policy_rule,
                decision_facts=decision_facts,
                policy=self.policy,
            )
        return DecisionOutcome(
            decision_id=outcome.decision_id,
            action=outcome.action,
            policy_rule=outcome.policy_rule,
            policy_version=outcome.policy_version,
            decided=outcome.decided,
            skipped={**left, **outcome.skipped},
        )

    def suggested(self, item: Status) -> tuple[Rule, Action]:
        """The rule covering the item's category and the policy's default action for its severity."""
        return suggested_action(item, self.policy)

    def decide(self, *, moderator: User, request: DecisionRequest) -> DecisionOutcome:
        """Decide an item, or with `apply_to_cluster` every undecided member of its cluster."""
        members: list[Status] = []
        if request.apply_to_cluster:
            cluster_id = self.item(request.message_id).cluster_id
            if cluster_id:
                members = self.store.cluster_members(cluster_id, CLUSTER_DECIDED)
        with work.refused_on_race():
            return decisions.decide(
                self.log,
                self.clock,
                moderator=moderator,
                request=request,
                cluster_members=members,
                policy=self.policy,
            )

    def file_appeal(self, *, message_id: str, recorded_by: User, reason: str) -> tuple[str, Status]:
        """Record the author's appeal; returns (appeal id, status)."""
        with work.refused_on_race():
            return appeals.file_appeal(
                self.log, self.clock, message_id=message_id, recorded_by=recorded_by, reason=reason
            )

    def decide_appeal(
        self,
        *,
        moderator: User,
        message_id: str,
        outcome: Literal["upheld", "reversed"],
        reasons: str,
        new_action: Action | None = None,
    ) -> Status:
        with work.refused_on_race():
            return appeals.decide_appeal(
                self.log,
                self.clock,
                moderator=moderator,
                message_id=message_id,
                outcome=outcome,
                reasons=reasons,
                new_action=new_action,
                policy=self.policy,
            )

    # ------------------------------------------------------------ on ingest, on the clock

    def intake(self, result: IngestResult) -> None:
        """The ingest hook: cluster every new message, and file an `automated` report for each
        message whose assessment flagged something. In the ingest's transaction."""
        if not result.stored:
            return
        clustered = assign_clusters(
            self.store, [(message.id, message.text) for message in result.stored], self.clock
        )
        if clustered:
            self.log.append_many(clustered)
        if result.assessments:
            file_automated_reports(self.log, self.clock, result.assessments, policy=self.policy)

    def reassessed(self, assessments: Mapping[str, Assessment]) -> None:
        """An edited message assessed again (`hustings.messages.changes`): what it now flags is
        reported as a new message's would be. In the caller's transaction."""
        if assessments:
            file_automated_reports(self.log, self.clock, assessments, policy=self.policy)

    def sweep_clocks(self, limit: int = 1000) -> int:
        """Raise a `clock.breached` alert on each open item past its due time; return how many.

        Runs on its own schedule (`hustings moderation sweep`, and every
        `HUSTINGS_CLOCK_SWEEP_SECONDS` in `hustings serve`), never on a read.
        """
        now = self.clock.now()
        events = breach_events(self.store.overdue_unflagged(now, limit), now)
        return len(self.log.append_many(events).appended) if events else 0

    # ------------------------------------------------------------ reads

    def queue_counts(self, *, reader_id: str | None) -> dict[str, int]:
        return self.store.queue_counts(now=self.clock.now(), reader_id=reader_id)

    def queue_page(
        self, spec: QueueSpec, *, reader_id: str | None, limit: int = 50, offset: int = 0
    ) -> list[QueueEntry]:
        return self.store.queue_page(
            spec, now=self.clock.now(), reader_id=reader_id, limit=limit, offset=offset
        )

    def queue_rows(
        self, spec: QueueSpec, *, reader_id: str | None, limit: int = 50, offset: int = 0
    ) -> tuple[list[QueueRow], int | None]:
        """A page of a queue as rows, near-duplicates folded into one row each: up to `limit`
        rows from the `offset`-th item on, and the offset the next page starts at (None at the
        end). Reads at most ten times `limit` items, so a page of one huge cluster still ends."""
        entries: list[QueueEntry] = []
        clusters: set[str] = set()
        rows = 0
        at = offset
        while True:
            chunk = self.queue_page(spec, reader_id=reader_id, limit=limit, offset=at)
            for entry in chunk:
                cluster = entry.status.cluster_id
                if cluster is None or cluster not in clusters:
                    if rows == limit:
                        return fold_near_duplicates(entries), at
                    rows += 1
                    if cluster is not None:
                        clusters.add(cluster)
                entries.append(entry)
                at += 1
            if len(chunk) < limit:
                return fold_near_duplicates(entries), None
            if at - offset >= 10 * limit:
                return fold_near_duplicates(entries), at

    def cluster_groups(self, cluster_id: str) -> list[TextGroup]:
        """A cluster's members grouped by text (the first `CLUSTER_SHOWN` members)."""
        members = self.store.cluster_members(cluster_id, CLUSTER_SHOWN)
        return group_by_text(members, self.texts([m.subject_id for m in members]))

    def next_item(self, spec: QueueSpec, *, reader_id: str) -> QueueEntry | None:
        """The first item of a queue this reader has not skipped (among its first thousand)."""
        for offset in range(0, 1000, 100):
            page = self.queue_page(spec, reader_id=reader_id, limit=100, offset=offset)
            for entry in page:
                if reader_id not in entry.status.data.get("skipped_by", []):
                    return entry
            if len(page) < 100:
                return None
        return None

    def texts(self, message_ids: Sequence[str]) -> dict[str, str]:
        return self.store.texts(message_ids)

    def statuses(self, message_ids: Sequence[str]) -> dict[str, Status]:
        """The items' statuses, by message id (a message never reported has one once ingested)."""
        return self.store.statuses(message_ids)

    def history(self, message_id: str) -> list[Event]:
        """One item's events, oldest first: reports, claims, decisions, appeals."""
        return self.store.events_for(message_id)

    def item_context(self, message_id: str) -> ItemContext:
        """Everything the item page shows; `NotFound` for an unknown message."""
        message = self.store.message(message_id)
        if message is None:
            raise NotFound(f"message_id: no item {message_id!r}")
        status = self.item(message_id)
        events = self.store.events_for(message_id)
        # The text shown is the text as received: highlight it with its own assessment, not an edit's.
        assessed = [e for e in events if e.kind == MESSAGE_ASSESSED and not is_reassessment(e)]
        latest = assessed[-1].payload if assessed else {}
        thread = [*self.store.thread(message, THREAD_DEPTH), *self.store.replies(message_id, THREAD_REPLIES)]
        history = self.store.author_history(message, AUTHOR_HISTORY)
        cluster = self.store.cluster_members(status.cluster_id, CLUSTER_SHOWN) if status.cluster_id else []
        related = self.store.statuses([other.id for other in [*thread, *history]])
        rule, action = self.suggested(status)
        now = self.clock.now()
        exposure = self.store.exposure(now)
        names = {}
        for target_id in message.target_ids:
            target = self.store.target(target_id)
            if target is not None:
                names[target_id] = f"{target.name} ({target.role.value})"
        return ItemContext(
            status=status,
            message=message,
            segments=highlight(message.text, latest.get("evidence", [])),
            labels={str(k): float(v) for k, v in (latest.get("labels") or {}).items()},
            model=assessed[-1].model if assessed else None,
            reports=[FiledReport.from_event(event) for event in events if event.kind == REPORT_FILED],
            timeline=events,
            thread=[Related(other, related.get(other.id)) for other in thread],
            author_history=[Related(other, related.get(other.id)) for other in history],
            cluster=[member for member in cluster if member.subject_id != message_id],
            prior=prior_decisions(cluster),
            suggested_rule=rule,
            suggested_action=action,
            time_left=time_left(status, now),
            priority=effective_priority(status, now, exposure.incident_targets, exposure.candidate_targets),
            target_names=names,
            source_history=source_history(events),
        )
