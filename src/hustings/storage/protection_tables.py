"""Protection's own table: the pile-on detector's state per target, kept between ingest batches.

Everything else protection knows (incidents, shields, deliveries, controls, bundles) is in the
event log and its statuses; this table is a cache of the streaming detector's window and
baseline, so the next batch continues where the last one stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base
from hustings.storage.types import JSONType, UTCDateTime


class DetectorStateRow(Base):
    __tablename__ = "protection_detector_state"

    target_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
