"""Pile-on detection over one target's message stream: a pure, streaming detector.

A pile-on is a surge of hostile messages against one person, well above that person's own
baseline, from many distinct accounts, and with a sign of coordination: most senders new or
with few followers, copy-pasted (near-duplicate) text, or hostility making up an unusual share
of everything they receive. A surge of ordinary criticism after a controversial vote raises the
volume (and, through the detector's false positives, a little hostility) but keeps hostility's
share, the senders' accounts and the text as varied as ever, so it opens nothing.

`PileOnDetector.observe(signal)` takes one message at a time, in the order they were sent, and
returns what changed (`IncidentChange`: opened, grew, closed); `tick(target_id, now)` lets
time pass without a message, so an incident closes when the rates fall back. The detector
keeps one `TargetState` per target, which serialises to JSON (`to_json`/`from_json`) so the
service can keep it between ingest batches. The benchmark `benchmarks/pileon.py` drives this
class directly.

The baseline is an exponentially weighted rate (time constant `baseline_tau`) of hostile and of
all messages per hour; hostile messages inside an open incident do not feed it, so a pile-on
never teaches the detector that pile-ons are normal.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np

from hustings.clock import as_utc, iso, parse_iso
from hustings.messages import similarity as text_similarity

_ID_NAMESPACE = uuid.UUID("2a3c4a7e-9a51-4d5e-bb0e-5b0c7e1f9d42")


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """The detector's thresholds. The defaults are the ones `benchmarks/pileon.py` measured."""

    window: timedelta = timedelta(minutes=30)
    min_hostile: int = 8
    """Hostile messages in the window before anything can open."""
    min_senders: int = 6
    """Distinct hostile senders in the window: one persistent account is harassment, not a pile-on."""
    surge_ratio: float = 3.0
    """Hostile messages in the window must reach this multiple of the baseline's expectation (+1)."""
    fresh_share: float = 0.5
    fresh_surprise: float = 1e-4
    """New or low-follower hostile senders count as coordinated when they are at least `fresh_share`
    of the senders and so many that, at the target's usual share of such accounts, a count this high
    would arise by chance with probability under `fresh_surprise` (a one-sided binomial tail): some
    people's regular correspondents are mostly small accounts, and a sliding window is tested often."""
    cluster_min: int = 4
    """Near-duplicate hostile messages in the window that count as copy-paste."""
    hostile_share: float = 0.35
    share_ratio: float = 3.0
    """Hostility's share of all messages counts as unusual above max(hostile_share, share_ratio x baseline share)."""
    baseline_tau: timedelta = timedelta(days=3)
    prior_hostile_per_hour: float = 0.5
    prior_total_per_hour: float = 6.0
    prior_fresh_share: float = 0.15
    quiet_for: timedelta = timedelta(hours=1)
    """An incident closes after its window has stayed at or under the close level this long."""
    close_ratio: float = 1.5
    close_floor: int = 2
    similarity: float = 0.6
    """Estimated Jaccard similarity of character 5-gram sets (`hustings.messages.similarity`) at
    which two texts count as copy-paste: lower than moderation's cluster threshold, because a
    pile-on's template varies a word or two per sender and this only counts a sign."""
    max_window: int = 3000


@dataclass(frozen=True, slots=True)
class Signal:
    """One message to one target, reduced to what pile-on detection needs."""

    message_id: str
    target_id: str
    at: datetime
    author_key: str
    hostile: bool
    severity: float = 0.0
    fresh_account: bool = False
    """The account is new or has few followers (see `hustings.protection.accounts`)."""
    text: str = ""
    reply_to: str | None = None


IncidentChangeKind = Literal["opened", "grew", "closed"]


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """What one observation did to a target's incident."""

    kind: IncidentChangeKind
    incident_id: str
    target_id: str
    at: datetime
    message_ids: tuple[str, ...]
    author_keys: tuple[str, ...]
    severity: float
    stats: dict[str, float]
    reason: str


@dataclass(slots=True)
class _Entry:
    at: datetime
    message_id: str
    author_key: str
    hostile: bool
    fresh: bool
    severity: float
    reply_to: str | None
    cluster: str | None = None
    signature: text_similarity.Signature | None = None


@dataclass(slots=True)
class OpenIncident:
    id: str
    opened_at: datetime
    message_count: int
    authors: set[str]
    severity: float
    max_message_severity: float
    last_hostile_at: datetime | None = None
    quiet_since: datetime | None = None


@dataclass(slots=True)
class TargetState:
    """Everything the detector remembers about one target."""

    target_id: str
    hostile_rate: float
    total_rate: float
    fresh_rate: float = 0.0
    rate_at: datetime | None = None
    last_at: datetime | None = None
    window: deque[_Entry] = field(default_factory=deque)
    incident: OpenIncident | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "target_id": self.target_id,
            "hostile_rate": self.hostile_rate,
            "total_rate": self.total_rate,
            "fresh_rate": self.fresh_rate,
            "rate_at": iso(self.rate_at),
            "last_at": iso(self.last_at),
            "window": [
                [
                    iso(e.at),
                    e.message_id,
                    e.author_key,
                    e.hostile,
                    e.fresh,
                    e.severity,
                    e.reply_to,
                    e.cluster,
                    None if e.signature is None else e.signature.astype("<u4").tobytes().hex(),
                ]
                for e in self.window
            ],
            "incident": None
            if self.incident is None
            else {
                "id": self.incident.id,
                "opened_at": iso(self.incident.opened_at),
                "message_count": self.incident.message_count,
                "authors": sorted(self.incident.authors),
                "severity": self.incident.severity,
                "max_message_severity": self.incident.max_message_severity,
                "last_hostile_at": iso(self.incident.last_hostile_at),
                "quiet_since": iso(self.incident.quiet_since),
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetState:
        window: deque[_Entry] = deque()
        for at, mid, author, hostile, fresh, severity, reply_to, cluster, signature in data.get("window", []):
            window.append(
                _Entry(
                    at=as_utc(datetime.fromisoformat(at)),
                    message_id=mid,
                    author_key=author,
                    hostile=bool(hostile),
                    fresh=bool(fresh),
                    severity=float(severity),
                    reply_to=reply_to,
                    cluster=cluster,
                    signature=None
                    if signature is None
                    else np.frombuffer(bytes.fromhex(signature), dtype="<u4").astype(np.uint32),
                )
            )
        raw = data.get("incident")
        incident = None
        if raw is not None:
            opened_at = parse_iso(raw["opened_at"])
            assert opened_at is not None
            incident = OpenIncident(
                id=raw["id"],
                opened_at=opened_at,
                message_count=int(raw["message_count"]),
                authors=set(raw["authors"]),
                severity=float(raw["severity"]),
                max_message_severity=float(raw["max_message_severity"]),
                last_hostile_at=parse_iso(raw.get("last_hostile_at")),
                quiet_since=parse_iso(raw.get("quiet_since")),
            )
        return cls(
            target_id=data["target_id"],
            hostile_rate=float(data["hostile_rate"]),
            total_rate=float(data["total_rate"]),
            fresh_rate=float(data.get("fresh_rate", 0.0)),
            rate_at=parse_iso(data.get("rate_at")),
            last_at=parse_iso(data.get("last_at")),
            window=window,
            incident=incident,
        )


def _binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def incident_id_for(target_id: str, message_id: str) -> str:
    """Derived from the message that opened it, so replaying a stream gives the same ids."""
    return "i_" + uuid.uuid5(_ID_NAMESPACE, f"{target_id}\x1f{message_id}").hex[:20]


class PileOnDetector:
    """Streaming pile-on detection for many targets; pure apart from the states it holds."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        self.states: dict[str, TargetState] = {}
        self._hours = self.config.window.total_seconds() / 3600
        self._tau_hours = self.config.baseline_tau.total_seconds() / 3600

    # ------------------------------------------------------------------ state

    def state(self, target_id: str) -> TargetState:
        found = self.states.get(target_id)
        if found is None:
            found = TargetState(
                target_id=target_id,
                hostile_rate=self.config.prior_hostile_per_hour,
                total_rate=self.config.prior_total_per_hour,
                fresh_rate=self.config.prior_total_per_hour * self.config.prior_fresh_share,
            )
            self.states[target_id] = found
        return found

    def load(self, state: TargetState) -> None:
        self.states[state.target_id] = state

    # ------------------------------------------------------------------ streaming

    def observe(self, signal: Signal) -> list[IncidentChange]:
        """Take one message; return the incident changes it caused (usually none)."""
        state = self.state(signal.target_id)
        at = as_utc(signal.at)
        if state.last_at is not None and at < state.last_at:
            at = state.last_at  # a late message counts at the stream's present
        changes: list[IncidentChange] = []
        self._update_rates(state, at, signal.hostile, signal.fresh_account)
        entry = _Entry(
            at=at,
            message_id=signal.message_id,
            author_key=signal.author_key,
            hostile=signal.hostile,
            fresh=signal.fresh_account,
            severity=signal.severity,
            reply_to=signal.reply_to,
        )
        if signal.hostile:
            self._assign_cluster(state, entry, signal.text)
        state.window.append(entry)
        state.last_at = at
        self._prune(state, at)
        if state.incident is None:
            # Only a hostile message can open an incident, so ordinary ones cost no window scan.
            if signal.hostile:
                opened = self._maybe_open(state, at, self._features(state))
                if opened is not None:
                    changes.append(opened)
        else:
            features = self._features(state)
            incident = state.incident
            if signal.hostile:
                incident.message_count += 1
                incident.authors.add(signal.author_key)
                incident.max_message_severity = max(incident.max_message_severity, signal.severity)
                incident.last_hostile_at = at
                incident.severity = max(incident.severity, self._severity(incident, features))
                changes.append(
                    IncidentChange(
                        kind="grew",
                        incident_id=incident.id,
                        target_id=state.target_id,
                        at=at,
                        message_ids=(signal.message_id,),
                        author_keys=(signal.author_key,),
                        severity=incident.severity,
                        stats=features,
                        reason="another hostile message during the incident",
                    )
                )
            closed = self._maybe_close(state, at, features)
            if closed is not None:
                changes.append(closed)
        return changes

    def tick(self, target_id: str, now: datetime) -> list[IncidentChange]:
        """Let time pass for one target without a message; may close its incident."""
        state = self.states.get(target_id)
        if state is None or state.incident is None:
            return []
        now = as_utc(now)
        if state.last_at is not None and now < state.last_at:
            return []
        self._prune(state, now)
        closed = self._maybe_close(state, now, self._features(state))
        return [] if closed is None else [closed]

    # ------------------------------------------------------------------ internals

    def _update_rates(self, state: TargetState, at: datetime, hostile: bool, fresh: bool) -> None:
        if state.rate_at is not None:
            elapsed = max(0.0, (at - state.rate_at).total_seconds() / 3600)
            decay = math.exp(-elapsed / self._tau_hours)
            state.hostile_rate *= decay
            state.total_rate *= decay
            state.fresh_rate *= decay
        state.rate_at = at
        state.total_rate += 1 / self._tau_hours
        if fresh and state.incident is None:
            state.fresh_rate += 1 / self._tau_hours
        if hostile and state.incident is None:
            state.hostile_rate += 1 / self._tau_hours

    def _assign_cluster(self, state: TargetState, entry: _Entry, text: str) -> None:
        entry.signature = text_similarity.signature(text_similarity.normalise(text))
        earlier = [e for e in state.window if e.signature is not None]
        entry.cluster = entry.message_id
        best, agreement = text_similarity.closest(
            [e.signature for e in earlier if e.signature is not None], entry.signature
        )
        if best >= 0 and agreement >= self.config.similarity:
            entry.cluster = earlier[best].cluster

    def _prune(self, state: TargetState, now: datetime) -> None:
        horizon = now - self.config.window
        while state.window and (state.window[0].at < horizon or len(state.window) > self.config.max_window):
            state.window.popleft()

    def _features(self, state: TargetState) -> dict[str, float]:
        hostile = [e for e in state.window if e.hostile]
        senders: dict[str, bool] = {}
        for e in hostile:
            senders[e.author_key] = senders.get(e.author_key, False) or e.fresh
        clusters = Counter(e.cluster for e in hostile if e.cluster is not None)
        chains = Counter(e.reply_to for e in hostile if e.reply_to is not None)
        total = len(state.window)
        return {
            "hostile": float(len(hostile)),
            "total": float(total),
            "senders": float(len(senders)),
            "fresh_share": (sum(senders.values()) / len(senders)) if senders else 0.0,
            "fresh_senders": float(sum(senders.values())),
            "largest_cluster": float(max(clusters.values(), default=0)),
            "largest_chain": float(max(chains.values(), default=0)),
            "hostile_share": len(hostile) / total if total else 0.0,
            "expected": state.hostile_rate * self._hours,
            "baseline_share": state.hostile_rate / state.total_rate if state.total_rate > 0 else 0.0,
            "baseline_fresh": min(1.0, state.fresh_rate / state.total_rate) if state.total_rate > 0 else 0.0,
            "max_severity": max((e.severity for e in hostile), default=0.0),
        }

    def _maybe_open(self, state: TargetState, at: datetime, f: dict[str, float]) -> IncidentChange | None:
        c = self.config
        if f["hostile"] < c.min_hostile or f["senders"] < c.min_senders:
            return None
        if f["hostile"] < c.surge_ratio * (f["expected"] + 1):
            return None
        signs = []
        if (
            f["fresh_share"] >= c.fresh_share
            and _binomial_tail(int(f["fresh_senders"]), int(f["senders"]), max(f["baseline_fresh"], 0.05))
            < c.fresh_surprise
        ):
            signs.append(f"{f['fresh_share']:.0%} of senders new or with few followers")
        if f["largest_cluster"] >= c.cluster_min:
            signs.append(f"{int(f['largest_cluster'])} near-duplicate messages")
        if f["hostile_share"] >= max(c.hostile_share, c.share_ratio * f["baseline_share"]):
            signs.append(f"hostility {f['hostile_share']:.0%} of all messages")
        if not signs:
            return None
        hostile = [e for e in state.window if e.hostile]
        incident = OpenIncident(
            id=incident_id_for(state.target_id, hostile[-1].message_id),
            opened_at=at,
            message_count=len(hostile),
            authors={e.author_key for e in hostile},
            severity=0.0,
            max_message_severity=f["max_severity"],
            last_hostile_at=at,
        )
        incident.severity = self._severity(incident, f)
        state.incident = incident
        reason = (
            f"{int(f['hostile'])} hostile messages from {int(f['senders'])} accounts in "
            f"{int(c.window.total_seconds() // 60)} minutes (baseline {f['expected']:.1f}); "
            + "; ".join(signs)
        )
        return IncidentChange(
            kind="opened",
            incident_id=incident.id,
            target_id=state.target_id,
            at=at,
            message_ids=tuple(e.message_id for e in hostile),
            author_keys=tuple(dict.fromkeys(e.author_key for e in hostile)),
            severity=incident.severity,
            stats=f,
            reason=reason,
        )

    def _maybe_close(self, state: TargetState, at: datetime, f: dict[str, float]) -> IncidentChange | None:
        incident = state.incident
        assert incident is not None
        level = max(float(self.config.close_floor), self.config.close_ratio * f["expected"])
        if f["hostile"] > level:
            incident.quiet_since = None
            return None
        if incident.quiet_since is None:
            # With no hostile message left in the window, it has been quiet since the last one
            # left it, which may be well before this tick.
            left = incident.last_hostile_at + self.config.window if incident.last_hostile_at else at
            incident.quiet_since = min(at, left) if f["hostile"] == 0 else at
        if at - incident.quiet_since < self.config.quiet_for:
            return None
        state.incident = None
        return IncidentChange(
            kind="closed",
            incident_id=incident.id,
            target_id=state.target_id,
            at=at,
            message_ids=(),
            author_keys=(),
            severity=incident.severity,
            stats=f | {"messages": float(incident.message_count), "accounts": float(len(incident.authors))},
            reason=(
                f"hostile messages back at or under {level:.1f} per "
                f"{int(self.config.window.total_seconds() // 60)} minutes for "
                f"{int(self.config.quiet_for.total_seconds() // 60)} minutes"
            ),
        )

    @staticmethod
    def _severity(incident: OpenIncident, f: dict[str, float]) -> float:
        """0..1: volume (log scale, saturating at 300 messages), the worst message, coordination."""
        volume = min(1.0, math.log1p(incident.message_count) / math.log1p(300))
        hostile = max(f["hostile"], 1.0)
        coordination = max(f["fresh_share"], min(1.0, f["largest_cluster"] / hostile))
        return round(0.45 * volume + 0.35 * incident.max_message_severity + 0.2 * coordination, 4)
