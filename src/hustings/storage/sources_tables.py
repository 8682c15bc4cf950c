"""Original records: each payload as a source delivered it, once per SHA-256, and which messages
were read from it, how and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base
from hustings.storage.types import UTCDateTime


class OriginalRecordRow(Base):
    __tablename__ = "original_records"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    format: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    first_received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageOriginRow(Base):
    __tablename__ = "message_origins"

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    record_sha256: Mapped[str] = mapped_column(ForeignKey("original_records.sha256"), index=True)
    pointer: Mapped[str] = mapped_column(String(200))
    converter: Mapped[str] = mapped_column(String(80))
    converter_version: Mapped[str] = mapped_column(String(20))
    source_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
