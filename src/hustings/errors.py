"""The exception hierarchy of Hustings, in one place.

Expected failures, which a user caused and can fix, derive from `HustingsError` and carry a
message that names the field, line or value at fault. The web layer maps them to HTTP statuses
and the CLI to one line on stderr and a non-zero exit. Anything else is a bug and is logged with
its traceback.
"""

from __future__ import annotations


class HustingsError(Exception):
    """Base of every expected failure. `str(error)` is fit to show to a user."""

    status_code = 400


class InvalidInput(HustingsError):
    """Input that does not match its schema; the message names the field or line."""

    status_code = 422


class NotAuthenticated(HustingsError):
    """No valid credentials: a missing, unknown, expired or revoked token or session. The message
    says which; pages redirect to the login form, the API answers 401."""

    status_code = 401


class NotFound(HustingsError):
    """A subject the caller named does not exist (or is not visible to them)."""

    status_code = 404


class Forbidden(HustingsError):
    """The caller is known but their roles or scope do not admit the action."""

    status_code = 403


class Conflict(HustingsError):
    """The action clashes with the subject's current state (e.g. an item claimed by someone else)."""

    status_code = 409


class DuplicateEvent(HustingsError):
    """An event whose idempotency key is already in the log; the log is unchanged."""

    status_code = 409


class BrokerUnavailable(HustingsError):
    """The message broker did not acknowledge in time; nothing was stored, try again later."""

    status_code = 503
    retry_after_seconds = 5


class ConfigurationError(HustingsError):
    """Settings or configuration files that cannot be used as given."""

    status_code = 500


class SubmissionFailed(HustingsError):
    """A remote service Hustings sends to (the DSA Transparency Database) could not be reached, or
    kept failing, after every retry; what it had accepted before is recorded."""

    status_code = 502
