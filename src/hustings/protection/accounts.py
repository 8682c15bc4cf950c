"""What an author's account says about them: how new it is and how few follow it.

Pile-ons are often run from accounts made for the purpose, so both the incident detector and
the shield ask these two questions of a message's author.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hustings.clock import as_utc
from hustings.messages.model import Author

NEW_ACCOUNT_AGE = timedelta(days=30)
LOW_FOLLOWERS = 50


def is_new_account(author: Author, at: datetime, age: timedelta = NEW_ACCOUNT_AGE) -> bool:
    """Created less than `age` before `at`. An account whose age its source did not give is not new."""
    return author.created_at is not None and as_utc(at) - as_utc(author.created_at) < age


def has_low_followers(author: Author, threshold: int = LOW_FOLLOWERS) -> bool:
    """Fewer than `threshold` followers. An unknown count is not low."""
    return author.followers is not None and author.followers < threshold
