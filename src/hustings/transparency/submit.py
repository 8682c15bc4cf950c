"""`hustings dsa-export --submit`: statements of reasons sent to the EU DSA Transparency Database.

Statements go in batches of up to 100 to the multiple-statements endpoint
(`POST /api/v1/statements` with ``{"statements": [...]}``), with the platform's bearer token. The
database takes a batch all or nothing, so a batch it refuses is sent again one statement at a time
(`POST /api/v1/statement`) to learn which it holds already and which it refuses and why. A 5xx, a
429 or a transport error is retried with exponential back-off; anything else is an answer.

Idempotence is by `puid`: a statement whose acceptance is already in the log is not sent again,
and one the database says it already holds counts as accepted. Each acceptance is an event on the
`dsa_statement` subject (`dsa.statement_accepted`), so what the database holds can be read, and
rebuilt, from the log like everything else. The token is a `SecretStr` and appears in no message.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from hustings.errors import ConfigurationError, SubmissionFailed
from hustings.events import Event, Status
from hustings.events.model import initial_status

SUBJECT = "dsa_statement"
STATEMENT_ACCEPTED = "dsa.statement_accepted"
BATCH_LIMIT = 100
"""The most statements the database takes in one call."""
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def subject_id(puid: str) -> str:
    """The log's id for a statement: its puid, or a digest of one too long for the subject column."""
    return puid if len(puid) <= 120 else "h_" + hashlib.sha256(puid.encode()).hexdigest()


def accepted_key(puid: str) -> str:
    return f"{STATEMENT_ACCEPTED}:{subject_id(puid)}"


def reduce_submission(status: Status | None, event: Event) -> Status:
    """A statement's status: accepted, with the database's id for it where it gave one."""
    current = status or initial_status(event, state="accepted")
    return current.evolve(state="accepted", data={**current.data, **event.payload})


@dataclass(frozen=True)
class Outcome:
    """What the database said about one statement."""

    puid: str
    result: Literal["accepted", "already_held", "refused"]
    detail: str = ""
    """The database's id for an accepted statement, or why it refused one."""


@dataclass
class SubmissionReport:
    outcomes: list[Outcome] = field(default_factory=list)
    recorded_before: int = 0
    """Statements not sent because the log already records their acceptance."""

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)


def acceptance_events(outcomes: Iterable[Outcome], *, endpoint: str, at: datetime) -> list[Event]:
    """One `dsa.statement_accepted` event per statement the database now holds."""
    return [
        Event(
            kind=STATEMENT_ACCEPTED,
            subject_type=SUBJECT,
            subject_id=subject_id(o.puid),
            actor="system",
            occurred_at=at,
            idempotency_key=accepted_key(o.puid),
            reason=(
                "the DSA Transparency Database already held it"
                if o.result == "already_held"
                else "accepted by the DSA Transparency Database"
            ),
            payload={
                "puid": o.puid,
                "endpoint": endpoint,
                "already_held": o.result == "already_held",
                "database_id": o.detail or None,
            },
        )
        for o in outcomes
        if o.result != "refused"
    ]


class TransparencyDatabase:
    """A client for the database's statement endpoints, retrying what is worth retrying."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr,
        *,
        attempts: int = 5,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._client = httpx.Client(timeout=timeout_seconds, transport=transport)

    def close(self) -> None:
        self._client.close()

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST `body`; retry a 5xx, a 429 or a transport error with back-off; return the answer."""
        url = f"{self.base_url}{path}"
        headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Accept": "application/json",
        }
        problem = ""
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = self._client.post(url, json=body, headers=headers)
            except httpx.TransportError as error:
                problem = f"{type(error).__name__} reaching {url}"
                continue
            if response.status_code in RETRY_STATUSES:
                problem = f"HTTP {response.status_code} from {url}"
                continue
            if response.status_code in (401, 403):
                raise ConfigurationError(
                    f"HUSTINGS_DSA_API_TOKEN: the database refused the token (HTTP {response.status_code})"
                )
            return response
        raise SubmissionFailed(f"gave up after {self._attempts} attempts: {problem}")


def _errors(response: httpx.Response) -> dict[str, list[str]]:
    try:
        body = response.json()
    except ValueError:
        return {}
    errors = body.get("errors") if isinstance(body, dict) else None
    return {str(k): [str(m) for m in v] for k, v in errors.items()} if isinstance(errors, dict) else {}


def _not_unique(messages: Sequence[str]) -> bool:
    return any("not unique" in message.lower() for message in messages)


def _single(db: TransparencyDatabase, statement: dict[str, Any]) -> Outcome:
    puid = str(statement["puid"])
    response = db.post("/api/v1/statement", statement)
    if response.status_code in (200, 201):
        body = response.json()
        return Outcome(puid, "accepted", str(body.get("uuid", "")) if isinstance(body, dict) else "")
    errors = _errors(response)
    if response.status_code == 422 and _not_unique(errors.get("puid", [])) and len(errors) == 1:
        return Outcome(puid, "already_held")
    reasons = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    return Outcome(puid, "refused", reasons or f"HTTP {response.status_code}")


def _batch(db: TransparencyDatabase, statements: list[dict[str, Any]]) -> list[Outcome]:
    response = db.post("/api/v1/statements", {"statements": statements})
    if response.status_code in (200, 201):
        body = response.json()
        created = body.get("statements", []) if isinstance(body, dict) else []
        ids = {str(s.get("puid")): str(s.get("uuid", "")) for s in created if isinstance(s, dict)}
        return [Outcome(str(s["puid"]), "accepted", ids.get(str(s["puid"]), "")) for s in statements]
    # All or nothing: find out statement by statement.
    return [_single(db, statement) for statement in statements]


def batches(items: Sequence[dict[str, Any]], size: int = BATCH_LIMIT) -> Iterator[list[dict[str, Any]]]:
    if not 1 <= size <= BATCH_LIMIT:
        raise ValueError(f"batch size: 1 to {BATCH_LIMIT}")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def submit(
    db: TransparencyDatabase,
    statements: Sequence[dict[str, Any]],
    *,
    recorded: set[str],
    record: Callable[[list[Outcome]], None],
    progress: Callable[[int, int], None] = lambda done, total: None,
    batch_size: int = BATCH_LIMIT,
) -> SubmissionReport:
    """Send the statements whose puid is not in `recorded`; `record` each batch's outcomes as it
    is answered (so a failure later loses nothing already accepted); report every outcome."""
    report = SubmissionReport()
    pending = [s for s in statements if str(s["puid"]) not in recorded]
    report.recorded_before = len(statements) - len(pending)
    done = 0
    progress(done, len(pending))
    for batch in batches(pending, batch_size):
        outcomes = _batch(db, batch)
        record(outcomes)
        report.outcomes.extend(outcomes)
        done += len(batch)
        progress(done, len(pending))
    return report
