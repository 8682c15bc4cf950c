"""Who is told of a pile-on, on the in-memory twins (no database): moderators and the person's
own guards, once each however often the sweep runs, and nobody else."""

from __future__ import annotations

from datetime import UTC, datetime

from hustings.auth.model import Role, User
from hustings.clock import FixedClock
from hustings.events import EventLog
from hustings.events.log import InMemoryEventStore
from hustings.events.registry import default_reducers
from hustings.notifications.memory import InMemoryNotificationStore
from hustings.notifications.service import Notifications
from hustings.protection.events import incident_growth, incident_opened

T0 = datetime(2026, 5, 7, 9, 0, tzinfo=UTC)


def test_a_pile_on_tells_moderators_and_the_target_once_each() -> None:
    clock = FixedClock(T0)
    events = InMemoryEventStore()
    log = EventLog(events, default_reducers())
    people = [
        User("u_mod", "sam", frozenset({Role.MODERATOR})),
        User("u_gone", "old", frozenset({Role.MODERATOR}), disabled=True),
        User("u_priya", "priya", frozenset({Role.TARGET}), target_ids=("t_priya",)),
        User("u_other", "omar", frozenset({Role.TARGET}), target_ids=("t_omar",)),
        User("u_analyst", "ruth", frozenset({Role.ANALYST})),
    ]
    growth = incident_growth(
        target_id="t_priya", detected_at=T0, message_ids=["m1"], author_keys=["x:a"], severity=0.9, stats={}
    )
    log.append(incident_opened("i_1", growth, reason="surge", model="pileon-1", at=T0))
    notifications = Notifications(
        InMemoryNotificationStore(events, people), log, clock, email_of=lambda _: "", mailer=None, public_url="http://h"
    )
    assert notifications.raise_due() == 2
    assert notifications.raise_due() == 0
    told = {user.id: notifications.inbox(user.id) for user in people}
    assert [n.link for n in told["u_mod"]] == ["/targets/t_priya"]
    assert [n.link for n in told["u_priya"]] == ["/inbox/t_priya"] and "against you" in told["u_priya"][0].title
    assert told["u_gone"] == told["u_other"] == told["u_analyst"] == []
    assert told["u_mod"][0].email == "none"  # no mail server: in the app only
    assert notifications.mark_all_read("u_priya") == 1 and notifications.unread_count("u_priya") == 0
