"""The platform response figures equal a brute-force recount from the log, on random logs."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hustings.events import Event
from hustings.platforms.figures import ResponseFigures, platform_response
from hustings.transparency.period import quarter_of

START = datetime(2028, 3, 25, tzinfo=UTC)
AS_OF = START + timedelta(days=20)
SPAN = (START + timedelta(days=2), START + timedelta(days=15))
PLATFORMS = ["X", "Meta", "Bluesky"]
ELECTIONS = [None, "local.kelbridge.2028-05-04"]

# Hours bunched on the 24-hour and 7-day marks.
delta = st.one_of(st.sampled_from([0, 1, 23, 24, 25, 167, 168, 169]), st.integers(min_value=0, max_value=400))
answers = st.lists(
    st.tuples(st.sampled_from(["acknowledged", "actioned", "declined", "no_answer"]), delta, delta),
    max_size=4,
)
referrals = st.lists(
    st.tuples(
        st.sampled_from(PLATFORMS),
        st.sampled_from(ELECTIONS),
        st.integers(min_value=0, max_value=24 * 20 - 1),
        answers,
    ),
    max_size=10,
)


def build_log(drawn: list[Any]) -> list[Event]:
    events: list[Event] = []
    for index, (platform, election, sent, history) in enumerate(drawn):
        rid = f"pr{index}"
        sent_at = START + timedelta(hours=sent)
        events.append(
            Event(
                "platform_referral.sent",
                "platform_referral",
                rid,
                "system",
                sent_at,
                f"s{index}",
                payload={
                    "platform": platform,
                    "channel": "email",
                    "reference": "",
                    "message_ids": ["m"],
                    "election_id": election,
                    "sent_at": sent_at.isoformat(),
                },
            )
        )
        for answer, given_after, recorded_after in history:
            at = sent_at + timedelta(hours=given_after)
            recorded = at + timedelta(hours=recorded_after)
            events.append(
                Event(
                    "platform_referral.answered",
                    "platform_referral",
                    rid,
                    "system",
                    recorded,
                    f"a{len(events)}",
                    payload={
                        "answer": answer,
                        "at": at.isoformat(),
                        "action": "removed" if answer == "actioned" else None,
                        "reference": "",
                    },
                )
            )
    events.sort(key=lambda e: e.occurred_at)
    return events


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def recount(events: list[Event], keep: Any) -> dict[str, Any]:
    """The figures the slow, obvious way, for the referrals `keep` admits."""
    known = [e for e in events if e.occurred_at <= AS_OF]
    sends = [e for e in known if e.kind == "platform_referral.sent" and keep(e)]
    sent = len(sends)
    hours: list[float] = []
    judged = {24: 0, 168: 0}
    late = {24: 0, 168: 0}
    for send in sends:
        sent_at = datetime.fromisoformat(send.payload["sent_at"])
        mine = [
            e for e in known if e.subject_id == send.subject_id and e.kind == "platform_referral.answered"
        ]
        acted = [datetime.fromisoformat(e.payload["at"]) for e in mine if e.payload["answer"] == "actioned"]
        if acted:
            hours.append(max(0.0, (min(acted) - sent_at).total_seconds() / 3600))
        spoke = [datetime.fromisoformat(e.payload["at"]) for e in mine if e.payload["answer"] != "no_answer"]
        for window in (24, 168):
            if sent_at + timedelta(hours=window) <= AS_OF:
                judged[window] += 1
                if not any(at <= sent_at + timedelta(hours=window) for at in spoke):
                    late[window] += 1
    return {
        "sent": sent,
        "actioned": len(hours),
        "median": statistics.median(hours) if hours else None,
        "p90": p90(hours),
        "no24": late[24] / judged[24] if judged[24] else None,
        "no7": late[168] / judged[168] if judged[168] else None,
    }


def figures_of(figures: ResponseFigures) -> dict[str, Any]:
    return {
        "sent": figures.sent,
        "actioned": figures.actioned,
        "median": figures.median_hours,
        "p90": figures.p90_hours,
        "no24": figures.no_answer_24h_share,
        "no7": figures.no_answer_7d_share,
    }


def close(left: dict[str, Any], right: dict[str, Any]) -> bool:
    for key in left:
        a, b = left[key], right[key]
        if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-9):
            return False
    return True


def sent_at(event: Event) -> datetime:
    return datetime.fromisoformat(event.payload["sent_at"])


@settings(max_examples=300, deadline=None)
@given(referrals)
def test_every_figure_equals_a_recount(drawn: list[Any]) -> None:
    events = build_log(drawn)
    response = platform_response(events, as_of=AS_OF, sent_from=SPAN[0], sent_before=SPAN[1])

    def in_span(e: Event) -> bool:
        return SPAN[0] <= sent_at(e) < SPAN[1]

    assert close(figures_of(response.overall), recount(events, in_span))
    for platform in PLATFORMS:
        expected = recount(events, lambda e, p=platform: in_span(e) and e.payload["platform"] == p)
        found = response.by_platform.get(platform)
        assert (found is None) == (expected["sent"] == 0)
        if found is not None:
            assert close(figures_of(found), expected)
    for election in ELECTIONS:
        expected = recount(events, lambda e, x=election: in_span(e) and e.payload["election_id"] == x)
        found = response.by_election.get(election or "none")
        assert (found is None) == (expected["sent"] == 0)
        if found is not None:
            assert close(figures_of(found), expected)
    quarters = {quarter_of(sent_at(e).date()).slug for e in events if e.kind.endswith(".sent") and in_span(e)}
    assert set(response.by_quarter) == quarters
    for quarter in quarters:
        expected = recount(
            events, lambda e, q=quarter: in_span(e) and quarter_of(sent_at(e).date()).slug == q
        )
        assert close(figures_of(response.by_quarter[quarter]), expected)
    for figures in response.by_platform.values():
        assert figures.sent >= figures.actioned


@given(referrals)
def test_one_election_alone_is_its_slice_of_the_whole(drawn: list[Any]) -> None:
    events = build_log(drawn)
    whole = platform_response(events, as_of=AS_OF)
    alone = platform_response(events, as_of=AS_OF, election_id=ELECTIONS[1])
    assert alone.overall == whole.by_election.get(ELECTIONS[1], alone.overall)
    assert alone.overall.sent == sum(1 for r in drawn if r[1] == ELECTIONS[1])
