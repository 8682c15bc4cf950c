"""Structured JSON logs. Secrets never reach a log: settings hold them as `SecretStr`."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from hustings.settings import Settings


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message and whatever `extra` the call gave."""
    return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"asctime": "time"})


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger("hustings")
    root.setLevel(settings.log_level.upper())
    if any(getattr(handler, "_hustings", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(json_formatter())
    handler._hustings = True  # type: ignore[attr-defined]  # marks our handler so reconfiguring is idempotent
    # The server's own lines (start-up, protocol errors) go the same way, not as plain text.
    for logger in (root, logging.getLogger("uvicorn")):
        logger.addHandler(handler)
        logger.propagate = False
