"""Fixtures for protection tests: a stand-in detector, targets, and message builders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from hustings.clock import FixedClock
from hustings.detect.assessment import LABELS, Assessment, Evidence, Label
from hustings.services import Services
from hustings.settings import Settings
from hustings.targets.model import Target, TargetRole

HOSTILE_WORDS = ("scum", "vermin", "watch your back", "traitor")


class WordDetector:
    """Flags `abuse` when a text contains one of `HOSTILE_WORDS`; scores every label."""

    model = "words@test"

    def assess(self, texts: Sequence[str]) -> list[Assessment]:
        out = []
        for text in texts:
            hit = next((w for w in HOSTILE_WORDS if w in text.lower()), None)
            labels = dict.fromkeys(LABELS, 0.02)
            labels[Label.ABUSE] = 0.92 if hit else 0.05  # clearly calm at every sensitivity
            flagged = (Label.ABUSE,) if hit else ()
            start = text.lower().find(hit) if hit else 0
            evidence = (
                (Evidence(Label.ABUSE, start, start + len(hit), text[start : start + len(hit)], "insult"),)
                if hit
                else ()
            )
            out.append(
                Assessment(
                    labels=labels,
                    flagged=flagged,
                    characteristic=None,
                    evidence=evidence,
                    model=self.model,
                    severity=0.55 if hit else 0.0,
                )
            )
        return out


@pytest.fixture
def protected(session: Any, settings: Settings, clock: FixedClock) -> Services:
    """Services that assess every ingested message with `WordDetector`."""
    return Services(
        session=session,
        settings=settings.model_copy(update={"assess_on_ingest": True}),
        clock=clock,
        detector_provider=WordDetector,
    )


def make_target(services: Services, name: str = "Priya Raman", handle: str = "priya") -> Target:
    target = services.targets.create(
        name=name,
        role=TargetRole.CANDIDATE,
        party="Labour",
        constituency="Fenmarsh",
        handles=[("x", handle)],
        now=services.clock.now(),
    )
    services.session.commit()
    return target


Message = dict[str, Any]


def message(
    external_id: str,
    text: str,
    *,
    at: datetime,
    author: str,
    handle: str = "priya",
    new: bool = False,
    followers: int = 500,
    reply_to: str | None = None,
) -> Message:
    created = at - (timedelta(days=3) if new else timedelta(days=2000))
    out: Message = {
        "source": "x",
        "external_id": external_id,
        "text": text,
        "created_at": at.isoformat(),
        "author": {
            "id": author,
            "handle": f"@{author}",
            "created_at": created.isoformat(),
            "followers": followers,
        },
        "targets": [f"@{handle}"],
    }
    if reply_to:
        out["in_reply_to"] = reply_to
    return out


MessageFactory = Callable[..., Message]


def pile_on(start: datetime, count: int, *, prefix: str = "p", handle: str = "priya") -> list[Message]:
    """`count` copy-pasted hostile messages from new accounts, one a minute."""
    return [
        message(
            f"{prefix}{i}",
            f"You traitor scum, resign now {i % 3 * '!'}",
            at=start + timedelta(minutes=i),
            author=f"{prefix}acct{i}",
            new=True,
            followers=3,
            handle=handle,
            reply_to="vote-post",
        )
        for i in range(count)
    ]


@pytest.fixture
def protected_client(engine: Any, session: Any, settings: Settings, clock: FixedClock) -> Any:
    """A TestClient whose app assesses ingested messages with `WordDetector`."""
    from fastapi.testclient import TestClient

    from hustings.web.app import create_app
    from hustings.web.deps import get_session

    application = create_app(
        settings.model_copy(update={"assess_on_ingest": True}),
        engine=engine,
        clock=clock,
        detector_provider=WordDetector,
    )

    def rolled_back_session() -> Any:
        yield session

    application.dependency_overrides[get_session] = rolled_back_session
    with TestClient(application) as client:
        yield client
