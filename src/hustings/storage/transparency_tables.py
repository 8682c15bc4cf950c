"""The transparency report's aggregates: per-message and per-referral facts kept beside the log.

Rewritten for a subject in the same transaction as any of its events is appended
(`hustings.storage.transparency_aggregates`), rebuilt from the log by
`hustings rebuild-status` (and by the schema upgrade, once, where they are behind). See `hustings.transparency.aggregates`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base, BigId
from hustings.storage.types import UTCDateTime


class TransparencyItemRow(Base):
    """One message: its targets and place (from `message.ingested`), first report and takedown."""

    __tablename__ = "transparency_items"

    message_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    ingested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    target_ids: Mapped[str] = mapped_column(Text, default="[]")
    """The target ids as a JSON list, grouped on as they are (a message's set of targets)."""
    place: Mapped[str] = mapped_column(String(40))
    first_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    category: Mapped[str | None] = mapped_column(String(40))
    first_takedown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours_to_takedown: Mapped[float | None] = mapped_column(Float)


class TransparencyReportRow(Base):
    """One `report.filed`."""

    __tablename__ = "transparency_reports"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    message_id: Mapped[str] = mapped_column(String(120), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    day: Mapped[date] = mapped_column(Date)
    reporter_kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    automated_decision_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The message's, copied (they are rewritten together), so a report needs no join to count.
    ingested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target_ids: Mapped[str] = mapped_column(Text, default="[]")
    place: Mapped[str] = mapped_column(String(40))


class TransparencyDecisionRow(Base):
    """One `decision.made`, with what had been reported before it."""

    __tablename__ = "transparency_decisions"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    message_id: Mapped[str] = mapped_column(String(120), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(40))
    after_automated: Mapped[bool] = mapped_column(Boolean)
    after_notice: Mapped[bool] = mapped_column(Boolean)


class TransparencyAppealRow(Base):
    """One `appeal.filed` or `appeal.decided`."""

    __tablename__ = "transparency_appeals"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    message_id: Mapped[str] = mapped_column(String(120), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    decided: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(40))
    hours: Mapped[float | None] = mapped_column(Float)


class TransparencyReferralRow(Base):
    """One `referral.created` or `referral.sent` of a referral to the police."""

    __tablename__ = "transparency_referrals"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    referral_id: Mapped[str] = mapped_column(String(120), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent: Mapped[bool] = mapped_column(Boolean)
    first_send: Mapped[bool] = mapped_column(Boolean)
    hours: Mapped[float | None] = mapped_column(Float)


class TransparencyAggregatesStateRow(Base):
    """One row: which version of the aggregates the tables hold, and the log position they were
    last rebuilt through. Version 0 (as the migration leaves it) means never built from the log:
    events written before the tables existed are missing, so the upgrade rebuilds them."""

    __tablename__ = "transparency_aggregates_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column()
    rebuilt_through_seq: Mapped[int] = mapped_column(BigId)
    rebuilt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
