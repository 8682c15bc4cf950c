"""Domain objects for referral tests, built directly: no database, no detector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hustings.detect.assessment import LABELS, Assessment, Characteristic, Evidence, Label
from hustings.messages.model import Author, Message, message_id
from hustings.referrals.content import PackContent, PackMessage, ReportSummary
from hustings.targets.model import Target, TargetRole

T0 = datetime(2026, 5, 7, 9, 0, tzinfo=UTC)

PRIYA = Target(
    id="t_priya",
    name="Priya Raman",
    role=TargetRole.CANDIDATE,
    party="Labour",
    constituency="Fenmarsh and Ashby",
    handles=(("x", "priyaraman4fenmarsh"),),
)


def author(handle: str = "@angry_voter", author_id: str = "a1") -> Author:
    return Author(
        key=f"x:{author_id}",
        source="x",
        external_id=author_id,
        handle=handle,
        display_name="Angry Voter",
        created_at=T0 - timedelta(days=3),
        followers=2,
    )


def message(
    external_id: str,
    text: str,
    *,
    by: Author | None = None,
    minutes: int = 0,
    reply_to: str | None = None,
    target: str = "t_priya",
) -> Message:
    return Message(
        id=message_id("x", external_id),
        source="x",
        external_id=external_id,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        author=by or author(),
        targets=(("@priyaraman4fenmarsh", target),),
        in_reply_to_id=message_id("x", reply_to) if reply_to else None,
        url=f"https://x.example/status/{external_id}",
        lang="en",
        ingested_at=T0 + timedelta(minutes=minutes, seconds=5),
    )


def assessment(
    *flagged: Label, evidence: tuple[Evidence, ...] = (), characteristic: Characteristic | None = None
) -> Assessment:
    return Assessment(
        labels={label: (0.93 if label in flagged else 0.02) for label in LABELS},
        flagged=tuple(label for label in LABELS if label in flagged),
        characteristic=characteristic,
        evidence=evidence,
        model="test-detector@1",
        severity=0.9 if flagged else 0.0,
    )


def item(
    msg: Message,
    *flagged: Label,
    history: tuple[Message, ...] = (),
    thread: tuple[Message, ...] = (),
    reports: tuple[ReportSummary, ...] = (),
) -> PackMessage:
    return PackMessage(
        message=msg, assessment=assessment(*flagged), reports=reports, thread=thread, author_history=history
    )


def content(*items: PackMessage, pack_id: str = "p_0123456789abcdef") -> PackContent:
    return PackContent(
        referral_id="r_test",
        pack_id=pack_id,
        built_at=T0 + timedelta(hours=2),
        built_by="user:u_police",
        targets=(PRIYA,),
        messages=tuple(items),
        force="Fenshire Police",
        unit="Parliamentary Liaison and Investigation Team (PLaIT)",
    )
