"""Report periods: a calendar quarter by default, or a month, a year, or any span of days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hustings.errors import InvalidInput

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_SPAN = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.|_)(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, slots=True)
class Period:
    """Days from `start` up to and including `last`, in UTC."""

    start: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.start:
            raise InvalidInput(f"to: {self.last} is before from: {self.start}")
        if (self.last - self.start).days > 3660:
            raise InvalidInput("to: a report period is at most ten years")

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    def contains(self, moment: datetime) -> bool:
        return self.start_at <= moment < self.end_at

    @property
    def slug(self) -> str:
        """A name for URLs and files: ``2026-Q2``, ``2026-05``, ``2026`` or ``2026-04-01..2026-05-15``."""
        if self.start.day == 1 and self.start.month in (1, 4, 7, 10):
            quarter_end = _add_months(self.start, 3) - timedelta(days=1)
            if self.last == quarter_end:
                return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.start.day == 1 and self.last == _add_months(self.start, 1) - timedelta(days=1):
            return f"{self.start.year}-{self.start.month:02d}"
        if self.start == date(self.start.year, 1, 1) and self.last == date(self.start.year, 12, 31):
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.last.isoformat()}"

    @property
    def label(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.last:%-d %B %Y}"

    def to_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.last.isoformat(), "name": self.slug}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_of(day: date) -> Period:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return Period(start, _add_months(start, 3) - timedelta(days=1))


def previous_quarter(day: date) -> Period:
    return quarter_of(quarter_of(day).start - timedelta(days=1))


def parse_period(text: str) -> Period:
    """``2026-Q2``, ``2026-05``, ``2026`` or ``2026-04-01..2026-06-30`` (inclusive)."""
    value = text.strip()
    try:
        if match := _QUARTER.match(value):
            return quarter_of(date(int(match[1]), 3 * int(match[2]) - 2, 1))
        if match := _MONTH.match(value):
            start = date(int(match[1]), int(match[2]), 1)
            return Period(start, _add_months(start, 1) - timedelta(days=1))
        if match := _YEAR.match(value):
            return Period(date(int(value), 1, 1), date(int(value), 12, 31))
        if match := _SPAN.match(value):
            return Period(date.fromisoformat(match[1]), date.fromisoformat(match[2]))
    except ValueError as error:
        raise InvalidInput(f"period: {value!r} is not a real date ({error})") from None
    raise InvalidInput(
        f"period: {value!r} is not a quarter (2026-Q2), month (2026-05), year (2026) or span (2026-04-01..2026-06-30)"
    )


def period_between(start: str | None, last: str | None, *, today: date) -> Period:
    """The period from two optional ISO dates; missing ends fall back to the current quarter."""
    default = quarter_of(today)
    try:
        begin = date.fromisoformat(start) if start else default.start
    except ValueError:
        raise InvalidInput(f"from: {start!r} is not a date (YYYY-MM-DD)") from None
    try:
        end = date.fromisoformat(last) if last else (default.last if not start else quarter_of(begin).last)
    except ValueError:
        raise InvalidInput(f"to: {last!r} is not a date (YYYY-MM-DD)") from None
    return Period(begin, end)
