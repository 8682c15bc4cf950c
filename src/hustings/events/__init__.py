"""The event log: immutable events, pure reducers, statuses derived from them."""

from hustings.events.log import AppendResult, EventLog, EventStore, InMemoryEventStore, apply, fold
from hustings.events.model import SYSTEM_ACTOR, Event, Reducer, Status, model_actor, user_actor

__all__ = [
    "SYSTEM_ACTOR",
    "AppendResult",
    "Event",
    "EventLog",
    "EventStore",
    "InMemoryEventStore",
    "Reducer",
    "Status",
    "apply",
    "fold",
    "model_actor",
    "user_actor",
]
