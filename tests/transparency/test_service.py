"""The transparency service, no database: a cached report is served while the log has not grown,
recomputed once it has, and the cache is shared by every service built over it."""

from __future__ import annotations

from datetime import UTC, datetime

from hustings.events import Event
from hustings.transparency.period import parse_period
from hustings.transparency.service import ReportCache, Transparency

PERIOD = parse_period("2026-Q2")


class ListedLog:
    """A `TransparencyStore` over a list of events; counts how often the log is read."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.reads = 0

    def add_report(self, n: int) -> None:
        self.events.append(
            Event(
                kind="report.filed",
                subject_type="message",
                subject_id=f"m_{n}",
                actor="user:u",
                occurred_at=datetime(2026, 5, 1, tzinfo=UTC),
                idempotency_key=f"report-{n}",
                payload={"reporter_kind": "user", "category": "abuse"},
                seq=len(self.events) + 1,
            )
        )

    def last_seq(self) -> int:
        return len(self.events)

    def report_events(self, *, before: datetime) -> list[Event]:
        self.reads += 1
        return [event for event in self.events if event.occurred_at < before]

    def target_roles(self) -> dict[str, str]:
        return {}

    def target_places(self) -> dict[str, str]:
        return {}

    def decision_events(
        self, *, since: datetime | None = None, before: datetime | None = None
    ) -> list[Event]:
        return []


def test_a_report_is_read_from_the_log_once_until_the_log_grows() -> None:
    log = ListedLog()
    log.add_report(1)
    cache = ReportCache()
    first = Transparency(log, cache).report(PERIOD)
    # Another unit of work, the same cache: no second read of the log.
    assert Transparency(log, cache).report(PERIOD) is first and log.reads == 1
    log.add_report(2)
    grown = Transparency(log, cache).report(PERIOD)
    assert log.reads == 2
    assert (first.reports_received, grown.reports_received) == (1, 2)


def test_without_a_cache_every_report_is_computed_afresh() -> None:
    log = ListedLog()
    log.add_report(1)
    transparency = Transparency(log)
    assert transparency.report(PERIOD) == transparency.report(PERIOD)
    assert log.reads == 2


def test_the_cache_keeps_only_the_newest_reports() -> None:
    log = ListedLog()
    cache = ReportCache(size=2)
    transparency = Transparency(log, cache)
    for slug in ("2026-Q1", "2026-Q2", "2026-Q3"):
        transparency.report(parse_period(slug))
    assert log.reads == 3
    transparency.report(parse_period("2026-Q1"))  # the oldest went to make room
    assert log.reads == 4
