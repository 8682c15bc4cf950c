"""The pile-on detector on synthetic streams: pile-ons open incidents; organic spikes and one
persistent harasser do not; incidents close when the rates fall back; state survives JSON."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from hustings.protection.incidents import IncidentChange, PileOnDetector, Signal, TargetState
from tests.conftest import T0

TOPICS = ["housing", "the bypass", "bins", "the budget", "schools", "buses", "the library", "tax", "the NHS"]
VERDICTS = ["is a mess", "was weak", "let us down", "makes no sense", "is shameful", "was cowardly"]


def organic(
    rng: random.Random,
    start: datetime,
    hours: float,
    per_hour: float,
    hostile_rate: float,
    prefix: str,
    reply_to: str | None = None,
) -> list[Signal]:
    """Ordinary traffic from established accounts with varied text; `hostile_rate` of it labelled hostile."""
    count = int(hours * per_hour)
    signals = []
    for i in range(count):
        at = start + timedelta(hours=hours * i / count)
        signals.append(
            Signal(
                message_id=f"{prefix}{i}",
                target_id="t1",
                at=at,
                author_key=f"voter{rng.randrange(5000)}",
                hostile=rng.random() < hostile_rate,
                severity=0.4,
                fresh_account=rng.random() < 0.12,
                text=f"{rng.choice(TOPICS)} {rng.choice(VERDICTS)} and I counted {rng.randrange(10**6)} reasons",
                reply_to=reply_to if rng.random() < 0.5 else None,
            )
        )
    return signals


def coordinated(
    start: datetime, count: int, prefix: str = "p", every: timedelta = timedelta(seconds=40)
) -> list[Signal]:
    return [
        Signal(
            message_id=f"{prefix}{i}",
            target_id="t1",
            at=start + every * i,
            author_key=f"{prefix}-acct{i}",
            hostile=True,
            severity=0.7,
            fresh_account=True,
            text=f"Traitor. Everyone knows what you did. Resign {'!' * (i % 4)}",
            reply_to="post-1",
        )
        for i in range(count)
    ]


def run(detector: PileOnDetector, signals: list[Signal]) -> list[IncidentChange]:
    changes: list[IncidentChange] = []
    for signal in sorted(signals, key=lambda s: s.at):
        changes.extend(detector.observe(signal))
    return changes


def warmed(rng: random.Random) -> tuple[PileOnDetector, datetime]:
    """A detector that has seen two days of one target's ordinary traffic."""
    detector = PileOnDetector()
    assert run(detector, organic(rng, T0 - timedelta(days=2), 48, 20, 0.04, "w")) == []
    return detector, T0


def test_a_coordinated_pile_on_opens_an_incident_within_twenty_hostile_messages() -> None:
    rng = random.Random(1)
    detector, start = warmed(rng)
    pile = coordinated(start, 60)
    changes = run(detector, organic(rng, start, 1, 20, 0.04, "o") + pile)
    opened = [c for c in changes if c.kind == "opened"]
    assert len(opened) == 1
    pile_ids = {s.message_id for s in pile}
    before_open = [s for s in pile if s.at <= opened[0].at]
    assert len(before_open) <= 20
    assert pile_ids & set(opened[0].message_ids)
    grown = {mid for c in changes if c.kind == "grew" for mid in c.message_ids}
    assert pile_ids - set(opened[0].message_ids) <= grown  # every later pile-on message joins it
    assert 0 < opened[0].severity <= 1
    assert "new or with few followers" in opened[0].reason


def test_an_organic_surge_of_criticism_after_a_vote_opens_nothing() -> None:
    rng = random.Random(2)
    detector, start = warmed(rng)
    # Twenty times the usual volume for three hours, replies to one post, hostility share unchanged.
    spike = organic(rng, start, 3, 400, 0.05, "v", reply_to="vote-post")
    changes = run(detector, spike)
    assert sum(s.hostile for s in spike) > 40  # the detector's false positives rise with volume
    assert [c for c in changes if c.kind == "opened"] == []


def test_one_persistent_harasser_is_not_a_pile_on() -> None:
    rng = random.Random(3)
    detector, start = warmed(rng)
    harasser = [
        Signal(
            f"h{i}", "t1", start + timedelta(minutes=3 * i), "persistent", True, 0.8, True, f"You scum {i}"
        )
        for i in range(60)
    ]
    assert [c for c in run(detector, harasser) if c.kind == "opened"] == []


def test_a_brigade_of_established_accounts_opens_on_hostility_share() -> None:
    rng = random.Random(4)
    detector, start = warmed(rng)
    brigade = [
        Signal(
            f"b{i}",
            "t1",
            start + timedelta(seconds=50 * i),
            f"old{i}",
            True,
            0.6,
            False,
            f"{rng.choice(TOPICS)} you absolute {rng.choice(['clown', 'liar', 'fraud'])} {rng.randrange(10**6)}",
        )
        for i in range(40)
    ]
    opened = [c for c in run(detector, brigade) if c.kind == "opened"]
    assert len(opened) == 1 and "hostility" in opened[0].reason


def test_an_incident_closes_when_the_rates_fall_back() -> None:
    rng = random.Random(5)
    detector, start = warmed(rng)
    changes = run(detector, coordinated(start, 40))
    assert [c.kind for c in changes].count("opened") == 1
    last = start + timedelta(seconds=40 * 39)
    assert detector.tick("t1", last + timedelta(minutes=20)) == []  # still within the window
    detector.tick("t1", last + timedelta(minutes=40))  # the window is quiet from here
    closed = detector.tick("t1", last + timedelta(minutes=40) + timedelta(hours=1, minutes=1))
    assert [c.kind for c in closed] == ["closed"]
    assert closed[0].incident_id == changes[0].incident_id
    assert detector.states["t1"].incident is None


def test_state_saved_to_json_mid_stream_continues_exactly() -> None:
    rng = random.Random(6)
    signals = sorted(
        organic(rng, T0, 2, 30, 0.04, "o") + coordinated(T0 + timedelta(minutes=30), 50), key=lambda s: s.at
    )
    straight = PileOnDetector()
    expected = run(straight, signals)
    resumed = PileOnDetector()
    half = len(signals) // 2
    first = run(resumed, signals[:half])
    saved = json.dumps(resumed.states["t1"].to_json())
    fresh = PileOnDetector()
    fresh.load(TargetState.from_json(json.loads(saved)))
    second = run(fresh, signals[half:])
    assert first + second == expected
    assert any(c.kind == "opened" for c in expected)


def test_incident_ids_are_stable_across_replays() -> None:
    signals = coordinated(T0, 30)
    assert [c.incident_id for c in run(PileOnDetector(), signals)] == [
        c.incident_id for c in run(PileOnDetector(), signals)
    ]
