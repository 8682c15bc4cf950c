"""The platforms' measured response: a pure fold over the platform referral events.

For the referrals sent in a span (by when they were sent), as known at a moment `as_of`:

- **sent**: referrals sent;
- **actioned**: those the platform actioned (removed, restricted, suspended the account) by
  `as_of`, and the share of sent;
- **time to action**: hours from sending to the first `actioned` answer (by the time the
  platform gave it, never below zero): median and 90th percentile, interpolated as the
  transparency report's are;
- **no answer after 24 hours / 7 days**: of the referrals whose 24 hours (7 days) had passed by
  `as_of`, the share the platform had not answered (acknowledged, actioned or declined) within
  them. A `no_answer` recorded by the team is not an answer. Referrals too young to judge are left
  out of the share, not counted as answered.

Events recorded after `as_of` are not counted, so a published period's figures do not drift.
Figures are kept overall, by platform, by quarter sent (``2026-Q2``) and by election.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hustings.clock import as_utc, parse_iso
from hustings.events import Event
from hustings.platforms.events import PLATFORM_REFERRAL_ANSWERED, PLATFORM_REFERRAL_SENT, SUBJECT
from hustings.platforms.model import Answer
from hustings.transparency.period import quarter_of
from hustings.transparency.stats import percentile, share

DAY = timedelta(hours=24)
WEEK = timedelta(days=7)
NO_ELECTION = "none"


@dataclass(frozen=True, slots=True)
class Timeline:
    """One referral as the figures see it."""

    platform: str
    election_id: str | None
    sent_at: datetime
    first_answer_at: datetime | None
    actioned_at: datetime | None


@dataclass(frozen=True, slots=True)
class ResponseFigures:
    """The measured response for one slice of referrals."""

    sent: int
    actioned: int
    hours_to_action: tuple[float, ...]
    judged_24h: int
    unanswered_24h: int
    judged_7d: int
    unanswered_7d: int

    @property
    def actioned_share(self) -> float | None:
        return share(self.actioned, self.sent)

    @property
    def median_hours(self) -> float | None:
        return percentile(self.hours_to_action, 0.5)

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.hours_to_action, 0.9)

    @property
    def no_answer_24h_share(self) -> float | None:
        return share(self.unanswered_24h, self.judged_24h)

    @property
    def no_answer_7d_share(self) -> float | None:
        return share(self.unanswered_7d, self.judged_7d)

    def to_json(self) -> dict[str, Any]:
        return {
            "referrals_sent": self.sent,
            "actioned": self.actioned,
            "actioned_share": _round(self.actioned_share, 4),
            "time_to_action_hours": {
                "median": _round(self.median_hours, 2),
                "p90": _round(self.p90_hours, 2),
            },
            "no_answer_after_24h_share": _round(self.no_answer_24h_share, 4),
            "no_answer_after_7d_share": _round(self.no_answer_7d_share, 4),
        }


@dataclass(frozen=True, slots=True)
class PlatformResponse:
    """The figures overall and by platform, quarter and election, as of `as_of`."""

    as_of: datetime
    overall: ResponseFigures
    by_platform: Mapping[str, ResponseFigures]
    by_quarter: Mapping[str, ResponseFigures]
    by_election: Mapping[str, ResponseFigures]

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": as_utc(self.as_of).isoformat(),
            **self.overall.to_json(),
            "by_platform": {name: f.to_json() for name, f in sorted(self.by_platform.items())},
            "by_quarter": {name: f.to_json() for name, f in sorted(self.by_quarter.items())},
            "by_election": {name: f.to_json() for name, f in sorted(self.by_election.items())},
        }


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def timelines(events: Iterable[Event], *, as_of: datetime) -> dict[str, Timeline]:
    """Each referral's sending and first answers, from the events recorded by `as_of`."""
    sent: dict[str, tuple[str, str | None, datetime]] = {}
    answered: dict[str, datetime] = {}
    actioned: dict[str, datetime] = {}
    for event in events:
        if event.subject_type != SUBJECT or as_utc(event.occurred_at) > as_of:
            continue
        if event.kind == PLATFORM_REFERRAL_SENT and event.subject_id not in sent:
            at = parse_iso(event.payload["sent_at"])
            assert at is not None  # sent_at is always written
            sent[event.subject_id] = (str(event.payload["platform"]), event.payload.get("election_id"), at)
        elif event.kind == PLATFORM_REFERRAL_ANSWERED:
            answer = Answer(event.payload["answer"])
            at = parse_iso(event.payload["at"])
            assert at is not None
            if answer is Answer.NO_ANSWER:
                continue
            answered[event.subject_id] = min(at, answered.get(event.subject_id, at))
            if answer is Answer.ACTIONED:
                actioned[event.subject_id] = min(at, actioned.get(event.subject_id, at))
    return {
        rid: Timeline(platform, election, at, answered.get(rid), actioned.get(rid))
        for rid, (platform, election, at) in sent.items()
    }


def _figures(lines: Iterable[Timeline], as_of: datetime) -> ResponseFigures:
    sent = actioned = judged_24h = unanswered_24h = judged_7d = unanswered_7d = 0
    hours: list[float] = []
    for line in lines:
        sent += 1
        if line.actioned_at is not None:
            actioned += 1
            hours.append(max(0.0, (line.actioned_at - line.sent_at).total_seconds() / 3600))
        for window, counts in ((DAY, "24h"), (WEEK, "7d")):
            if line.sent_at + window > as_of:
                continue
            late = line.first_answer_at is None or line.first_answer_at > line.sent_at + window
            if counts == "24h":
                judged_24h += 1
                unanswered_24h += late
            else:
                judged_7d += 1
                unanswered_7d += late
    return ResponseFigures(
        sent, actioned, tuple(sorted(hours)), judged_24h, unanswered_24h, judged_7d, unanswered_7d
    )


def platform_response(
    events: Iterable[Event],
    *,
    as_of: datetime,
    sent_from: datetime | None = None,
    sent_before: datetime | None = None,
    election_id: str | None = None,
) -> PlatformResponse:
    """The measured response of the referrals sent in [`sent_from`, `sent_before`) (of one
    election, if named), from the events recorded by `as_of`."""
    as_of = as_utc(as_of)
    chosen = [
        line
        for line in timelines(events, as_of=as_of).values()
        if (sent_from is None or line.sent_at >= sent_from)
        and (sent_before is None or line.sent_at < sent_before)
        and (election_id is None or line.election_id == election_id)
    ]
    groups: dict[str, dict[str, list[Timeline]]] = {
        "platform": defaultdict(list),
        "quarter": defaultdict(list),
        "election": defaultdict(list),
    }
    for line in chosen:
        groups["platform"][line.platform].append(line)
        groups["quarter"][quarter_of(line.sent_at.date()).slug].append(line)
        groups["election"][line.election_id or NO_ELECTION].append(line)
    return PlatformResponse(
        as_of=as_of,
        overall=_figures(chosen, as_of),
        by_platform={name: _figures(lines, as_of) for name, lines in groups["platform"].items()},
        by_quarter={name: _figures(lines, as_of) for name, lines in groups["quarter"].items()},
        by_election={name: _figures(lines, as_of) for name, lines in groups["election"].items()},
    )
