"""Connector cursors: where each live connector has read its source up to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base
from hustings.storage.types import UTCDateTime


class ConnectorCursorRow(Base):
    __tablename__ = "connector_cursors"

    connector: Mapped[str] = mapped_column(String(300), primary_key=True)
    position: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
