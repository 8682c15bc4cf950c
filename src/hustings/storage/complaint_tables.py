"""The complaints' one table: each case's own key, sealed with `SecretBox` under the service secret.

A case's personal data are in the event log sealed with this key (`hustings.complaints.events`);
deleting the row at the end of the retention period erases them (crypto-erasure).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base
from hustings.storage.types import UTCDateTime


class ComplaintKeyRow(Base):
    __tablename__ = "complaint_keys"

    reference: Mapped[str] = mapped_column(String(40), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
