"""A message as an item of moderation work: its states, and the part of its priority its own
events decide. The reducer that moves an item between states is `hustings.messages.events`.

States, in the order an item usually moves through them::

    ingested -> assessed -> reported -> claimed -> decided -> appealed -> appeal_decided
                                \\-> escalated -/

``reported`` is the unreviewed queue; ``claimed`` means one moderator holds it (``assignee``);
releasing or skipping a claim returns the item to the state it was claimed from. Reports that
arrive after a decision join the item without reopening it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from hustings.moderation.events import ReporterKind


class ItemState(StrEnum):
    """The `state` of a message subject's status."""

    INGESTED = "ingested"
    ASSESSED = "assessed"
    REPORTED = "reported"
    CLAIMED = "claimed"
    ESCALATED = "escalated"
    DECIDED = "decided"
    APPEALED = "appealed"
    APPEAL_DECIDED = "appeal_decided"


OPEN_STATES = frozenset({ItemState.REPORTED, ItemState.CLAIMED, ItemState.ESCALATED, ItemState.APPEALED})
"""States in which an item waits for a person."""
CLAIMABLE_STATES = frozenset({ItemState.REPORTED, ItemState.ESCALATED, ItemState.APPEALED})
DECIDABLE_STATES = frozenset(
    {ItemState.INGESTED, ItemState.ASSESSED, ItemState.REPORTED, ItemState.CLAIMED, ItemState.ESCALATED}
)
"""A decision may also be taken on a message nobody reported (own initiative, or a cluster member)."""

# The statutory clocks, used when a report's payload does not say (it always does when filed here).
CLOCK_HOURS_MANIFESTLY_ILLEGAL = 24
CLOCK_HOURS_OTHERWISE = 168

# Weights of the stored base priority; exposure and time left are added when a queue is read.
MANIFESTLY_ILLEGAL_WEIGHT = 0.5
TRUSTED_FLAGGER_WEIGHT = 0.3
CLAIMS_ILLEGAL_WEIGHT = 0.1
REPORTERS_WEIGHT = 0.2  # reached at five distinct reporters


def base_priority(data: dict[str, Any]) -> float:
    """The part of an item's priority that only its own events decide."""
    priority = float(data.get("severity") or 0.0)
    if data.get("manifestly_illegal"):
        priority += MANIFESTLY_ILLEGAL_WEIGHT
    if ReporterKind.TRUSTED_FLAGGER.value in data.get("reporter_kinds", []):
        priority += TRUSTED_FLAGGER_WEIGHT
    if data.get("claims_illegal"):
        priority += CLAIMS_ILLEGAL_WEIGHT
    priority += REPORTERS_WEIGHT * min(int(data.get("distinct_reporters") or 0), 5) / 5
    return round(priority, 6)
