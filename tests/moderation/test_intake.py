"""The ingest hook: flagged messages become automated reports; near-duplicates form clusters."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from hustings.clock import FixedClock
from hustings.detect.assessment import Assessment, Label
from hustings.services import Services
from hustings.settings import Settings
from tests.conftest import sample_message
from tests.moderation.conftest import MODEL, assessment


class KeywordDetector:
    """Flags `threat` on any text containing 'hurt'."""

    model = MODEL

    def assess(self, texts: Sequence[str]) -> list[Assessment]:
        return [assessment(Label.THREAT) if "hurt" in text else assessment() for text in texts]


def assessing(session: Session, settings: Settings, clock: FixedClock) -> Services:
    return Services(
        session=session,
        settings=settings.model_copy(update={"assess_on_ingest": True}),
        clock=clock,
        detector_provider=KeywordDetector,
    )


def test_flagged_messages_are_reported_by_the_detector(
    session: Session, settings: Settings, clock: FixedClock
) -> None:
    services = assessing(session, settings, clock)
    result = services.ingest(
        [
            sample_message("1", text="We will hurt you and your family, count on it."),
            sample_message("2", text="Your housing policy is a disgrace."),
        ],
        actor="system",
    )
    flagged, calm = (services.events.status("message", mid) for mid in result.ids)
    assert flagged is not None and calm is not None
    assert flagged.state == "reported" and flagged.data["reporter_kinds"] == ["automated"]
    assert calm.state == "assessed"
    kinds = [event.kind for event in services.events.events_for("message", result.ids[0])]
    assert kinds == ["message.ingested", "message.assessed", "report.filed"]


def test_near_duplicates_join_one_cluster_and_different_texts_do_not(services: Services) -> None:
    texts = [
        "Go back to where you came from, nobody in Fenmarsh wants you here!!",
        "go back to where you came from... nobody in fenmarsh wants you here",
        "Go back to where you came from, nobody in Fenmarsh wants you here @priya https://t.co/x",
        "Go back to where you came from, nobody in Fenmarsh wants u here",
        "The bin collection schedule in Ashby changed again this week, why?",
    ]
    result = services.ingest(
        [
            sample_message(str(n), text=text, author={"id": f"a{n}", "handle": f"@a{n}"})
            for n, text in enumerate(texts)
        ],
        actor="system",
    )
    statuses = [services.events.status("message", mid) for mid in result.ids]
    clusters = [status.cluster_id if status else None for status in statuses]
    assert clusters[0] is not None
    assert clusters[:4] == [clusters[0]] * 4
    assert clusters[4] is None
