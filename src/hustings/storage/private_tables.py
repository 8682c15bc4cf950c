"""The private-details register's one table: each detail sealed at rest.

The event log names a detail by id and kind only (`hustings.protection.private`); the value lives
here, sealed with `SecretBox` under the service secret, and is deleted when the detail is removed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base
from hustings.storage.types import UTCDateTime


class PrivateDetailRow(Base):
    __tablename__ = "private_details"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    sealed: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
