"""One-shot notices and errors carried to the next page in its query string, signed."""

from __future__ import annotations

import hashlib
import hmac

from hustings.settings import Settings


def _signature(settings: Settings, notice: str, error: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"{notice}\x1f{error}".encode(), hashlib.sha256).hexdigest()[:20]


def flash(settings: Settings, *, notice: str = "", error: str = "") -> dict[str, str]:
    """Query parameters carrying a notice or error to the next page, signed so that nobody can
    put words of their own on our pages with a crafted link."""
    query = {key: value for key, value in (("notice", notice), ("error", error)) if value}
    if query:
        query["sig"] = _signature(settings, notice, error)
    return query


def read_flash(settings: Settings, notice: str, error: str, sig: str) -> tuple[str, str]:
    """The notice and error to show, or nothing if they were not signed by us."""
    if (notice or error) and hmac.compare_digest(sig, _signature(settings, notice, error)):
        return notice, error
    return "", ""
