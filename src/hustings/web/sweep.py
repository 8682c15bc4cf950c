"""The statutory-clock sweep, and the notifications' (raise, then e-mail), on their own schedule
beside the server, never on a read or in the request that caused them.

`hustings serve` runs it every `HUSTINGS_CLOCK_SWEEP_SECONDS` (0 turns it off); `hustings
moderation sweep` runs it once, for cron. Each run is one short unit of work of its own.
"""

from __future__ import annotations

import logging

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from hustings.clock import Clock
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import transaction

log = logging.getLogger("hustings.sweep")


def sweep_once(factory: sessionmaker[Session], settings: Settings, clock: Clock) -> int:
    """One sweep in its own transaction; the number of clock alerts raised. Then the notifications."""
    with transaction(factory, writes=True) as session:
        raised = Services(session=session, settings=settings, clock=clock).moderation.sweep_clocks()
    try:
        notify_once(factory, settings, clock)
    except Exception:
        log.exception("notification sweep failed")  # the clocks are swept; the next run notifies
    return raised


def notify_once(factory: sessionmaker[Session], settings: Settings, clock: Clock) -> tuple[int, int, int]:
    """Raise the notifications due, then send the e-mails due: (raised, sent, failed).

    Two units of work, so an SMTP server that is slow or down never holds back the raising, and
    whatever was sent before a failure stays recorded as sent.
    """
    with transaction(factory, writes=True) as session:
        raised = Services(session=session, settings=settings, clock=clock).notifications.raise_due()
    with transaction(factory, writes=True) as session:
        sent, failed = Services(session=session, settings=settings, clock=clock).notifications.deliver()
    return raised, sent, failed


async def sweep_every(
    seconds: float, factory: sessionmaker[Session], settings: Settings, clock: Clock
) -> None:
    """Sweep now and then every `seconds`, until cancelled; a failed run is logged and the next one tries again."""
    while True:
        try:
            raised = await run_in_threadpool(sweep_once, factory, settings, clock)
        except Exception:
            log.exception("clock sweep failed")
        else:
            if raised:
                log.info("clock sweep", extra={"raised": raised})
        await anyio.sleep(seconds)
