"""Login back-off state: failures per key (a name at an address, an address, a name, a device).

Keys are HMACs under the secret key (see `hustings.auth.login`), never names or addresses.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hustings.storage.tables import Base
from hustings.storage.types import UTCDateTime


class LoginBackoffRow(Base):
    __tablename__ = "login_backoff"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
