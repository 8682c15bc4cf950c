"""Transparency reports as a service: a report for a period, from aggregates, through a cache.

`Transparency.compute` reads the slice of the log a report counts through a `TransparencyStore`
and folds it with `compute_report`: the reference. `Transparency.report` serves the same report
from the aggregates kept as events are written (`hustings.transparency.aggregates`), where the
service has them, and from the fold where it has not. A `ReportCache` outlives any one unit of
work (the web app keeps one for all requests) and holds reports keyed on the period and the
log's last event, so a report is recomputed only once the log has grown.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Protocol

from hustings.events import Event
from hustings.transparency.aggregates import PeriodTallies, report_from_tallies
from hustings.transparency.period import Period
from hustings.transparency.report import TransparencyReport, compute_report


class TransparencyStore(Protocol):
    """What a transparency report reads. Never writes."""

    def last_seq(self) -> int:
        """The log position of the newest event (0 for an empty log)."""
        ...

    def report_events(self, *, before: datetime) -> list[Event]:
        """Every event the report counts that happened before `before`, in log order."""
        ...

    def target_roles(self) -> dict[str, str]:
        """Each registered target's role, by target id."""
        ...

    def target_places(self) -> dict[str, str]:
        """Each registered target's place (`hustings.places.place_of`), by target id."""
        ...

    def decision_events(self, *, since: datetime | None = None, before: datetime | None = None) -> list[Event]:
        """`decision.made` and `appeal.decided` events in log order, optionally within [since, before)."""
        ...


class TransparencyAggregates(Protocol):
    """The report's facts kept beside the log (`hustings.storage.transparency_aggregates`)."""

    def tallies(self, period: Period) -> PeriodTallies: ...

    def rebuild(self) -> int:
        """Recompute every fact from the log; return the number of events read."""
        ...


class ReportCache:
    """Reports by period, valid while the log has not grown: the public page is read far more
    often than the log changes, and a report reads every relevant event up to the period's end.
    Safe to share between threads."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._reports: OrderedDict[tuple[Period, int], TransparencyReport] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, period: Period, last_seq: int) -> TransparencyReport | None:
        with self._lock:
            found = self._reports.get((period, last_seq))
            if found is not None:
                self._reports.move_to_end((period, last_seq))
            return found

    def put(self, period: Period, last_seq: int, report: TransparencyReport) -> None:
        with self._lock:
            self._reports[(period, last_seq)] = report
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)


class Transparency:
    def __init__(
        self,
        store: TransparencyStore,
        cache: ReportCache | None = None,
        aggregates: TransparencyAggregates | None = None,
    ) -> None:
        self.store = store
        self.cache = cache
        """Shared across units of work; None computes every report afresh."""
        self.aggregates = aggregates
        """Where reports are served from; None folds the log for each."""

    def compute(self, period: Period) -> TransparencyReport:
        """The report for `period`, folded from the log now: the reference."""
        return compute_report(
            self.store.report_events(before=period.end_at),
            self.store.target_roles(),
            period,
            self.store.target_places(),
        )

    def from_aggregates(self, period: Period) -> TransparencyReport:
        """The report for `period` from the aggregates (equal to `compute`)."""
        if self.aggregates is None:
            return self.compute(period)
        return report_from_tallies(
            period, self.aggregates.tallies(period), self.store.target_roles(), self.store.target_places()
        )

    def decisions(self, window: Period | None = None) -> list[Event]:
        """The decisions (and appeal decisions) the DSA statements of reasons are made from, in log
        order: those in `window`, or all."""
        if window is None:
            return self.store.decision_events()
        return self.store.decision_events(since=window.start_at, before=window.end_at)

    def rebuild_aggregates(self) -> int:
        """Recompute the aggregates from the log; return the number of events read (0 without any)."""
        return 0 if self.aggregates is None else self.aggregates.rebuild()

    def report(self, period: Period) -> TransparencyReport:
        """The report for `period` (from the aggregates where there are any), from the cache
        while the log has not grown since it was made."""
        if self.cache is None:
            return self.from_aggregates(period)
        last_seq = self.store.last_seq()
        found = self.cache.get(period, last_seq)
        if found is not None:
            return found
        report = self.from_aggregates(period)
        self.cache.put(period, last_seq, report)
        return report
