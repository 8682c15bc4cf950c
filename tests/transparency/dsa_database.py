"""A stand-in for the EU DSA Transparency Database, for tests: its validation rules for a
statement of reasons, written out afresh from the database's API documentation (not from
`hustings.moderation.reasons`, so a test that passes here is not the validator checking itself),
and a local HTTP server with its two endpoints that refuses a `puid` it already holds.

The lists (categories, keywords, languages, EEA states) are read from the package's data files, as the
database's own lists; everything else is the rules.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from hustings.moderation.taxonomy import TAXONOMY

VISIBILITY = {
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
}
MONETARY = {"DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER"}
PROVISION = {
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
}
ACCOUNT = {"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"}
GROUNDS = {"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"}
CONTENT_TYPES = {
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
}
SOURCES = {
    "SOURCE_ARTICLE_16",
    "SOURCE_TRUSTED_FLAGGER",
    "SOURCE_TYPE_OTHER_NOTIFICATION",
    "SOURCE_VOLUNTARY",
}
AUTOMATED_DECISIONS = {
    "AUTOMATED_DECISION_FULLY",
    "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED",
}
PUID = re.compile(r"^[a-zA-Z0-9-_]+$")


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def validate(s: dict[str, Any]) -> dict[str, list[str]]:
    """The database's errors for one statement, by field; empty when it would be accepted."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def within(name: str, allowed: set[str], *, many: bool = False) -> None:
        value = s.get(name)
        if value is None:
            return
        values = value if many else [value]
        if many and not isinstance(value, list):
            fail(name, "must be an array")
            return
        for item in values:
            if item not in allowed:
                fail(name, f"The selected {name} is invalid.")

    restrictions = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
    if not any(s.get(name) for name in restrictions):
        fail("decision_visibility", "required when none of the other decisions is present")
    within("decision_visibility", VISIBILITY, many=True)
    within("decision_monetary", MONETARY)
    within("decision_provision", PROVISION)
    within("decision_account", ACCOUNT)
    within("account_type", {"ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"})
    if "DECISION_VISIBILITY_OTHER" in (s.get("decision_visibility") or []) and not s.get(
        "decision_visibility_other"
    ):
        fail("decision_visibility_other", "required")
    if s.get("decision_ground") not in GROUNDS:
        fail("decision_ground", "required, one of the grounds")
    illegal = s.get("decision_ground") == "DECISION_GROUND_ILLEGAL_CONTENT"
    for name, wanted, limit in (
        ("illegal_content_legal_ground", illegal, 500),
        ("illegal_content_explanation", illegal, 2000),
        ("incompatible_content_ground", not illegal, 500),
        ("incompatible_content_explanation", not illegal, 2000),
    ):
        if wanted and not s.get(name):
            fail(name, "required for this decision_ground")
        if len(str(s.get(name) or "")) > limit:
            fail(name, f"at most {limit} characters")
    url = s.get("decision_ground_reference_url")
    if url is not None:
        parts = urlsplit(str(url))
        if parts.scheme not in {"http", "https"} or not parts.netloc or len(str(url)) > 500:
            fail("decision_ground_reference_url", "must be a valid URL")
    content_types = s.get("content_type")
    if not isinstance(content_types, list) or not content_types:
        fail("content_type", "required")
    else:
        within("content_type", CONTENT_TYPES, many=True)
        if "CONTENT_TYPE_OTHER" in content_types and not s.get("content_type_other"):
            fail("content_type_other", "required")
    if s.get("category") not in TAXONOMY.categories:
        fail("category", "The selected category is invalid.")
    within("category_addition", set(TAXONOMY.categories), many=True)
    within("category_specification", set(TAXONOMY.keywords), many=True)
    if s.get("content_language") is not None and s["content_language"] not in TAXONOMY.languages:
        fail("content_language", "The selected content language is invalid.")
    within("territorial_scope", set(TAXONOMY.countries), many=True)
    content_date, application_date = _day(s.get("content_date")), _day(s.get("application_date"))
    if content_date is None or content_date < date(2000, 1, 1):
        fail("content_date", "required, Y-m-d, on or after 2000-01-01")
    if application_date is None or application_date < date(2020, 1, 1):
        fail("application_date", "required, Y-m-d, on or after 2020-01-01")
    if content_date and application_date and content_date > application_date:
        fail("content_date", "must be on or before application_date")
    for name in (
        "end_date_visibility_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_account_restriction",
    ):
        if s.get(name) is not None:
            end = _day(s[name])
            if end is None or (application_date and end < application_date):
                fail(name, "Y-m-d, on or after application_date")
    facts = s.get("decision_facts")
    if not facts or len(str(facts)) > 5000:
        fail("decision_facts", "required, at most 5000 characters")
    if s.get("source_type") not in SOURCES:
        fail("source_type", "required, one of the source types")
    if s.get("automated_detection") not in {"Yes", "No"}:
        fail("automated_detection", "required, Yes or No")
    if s.get("automated_decision") not in AUTOMATED_DECISIONS:
        fail("automated_decision", "required, one of the automated decisions")
    puid = s.get("puid")
    if not isinstance(puid, str) or not PUID.match(puid) or len(puid) > 500:
        fail("puid", "required, ^[a-zA-Z0-9-_]+$, at most 500 characters")
    return errors


NOT_UNIQUE = "The identifier given is not unique within this platform."


@dataclass
class FakeDatabase:
    """What the stand-in holds, and how it should misbehave."""

    token: str
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)
    fail_calls: dict[int, int] = field(default_factory=dict)
    """Calls (numbered from 1) to answer with this status and do nothing else: a 503 in the middle."""
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(db: FakeDatabase) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            db.calls.append((self.path, status))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with db.lock:
                db.received += 1
                if db.received in db.fail_calls:
                    self._answer(db.fail_calls[db.received], {"message": "Service Unavailable"})
                    return
                if self.headers.get("Authorization") != f"Bearer {db.token}":
                    self._answer(401, {"message": "Unauthenticated."})
                    return
                if self.path == "/api/v1/statement":
                    self._single(body)
                elif self.path == "/api/v1/statements":
                    self._many(body)
                else:
                    self._answer(404, {"message": "Not Found"})

        def _single(self, statement: dict[str, Any]) -> None:
            errors = validate(statement)
            puid = str(statement.get("puid"))
            if not errors and puid in db.held:
                self._answer(
                    422,
                    {"message": NOT_UNIQUE, "errors": {"puid": [NOT_UNIQUE]}, "existing": db.held[puid]},
                )
                return
            if errors:
                self._answer(422, {"message": "The given data was invalid.", "errors": errors})
                return
            db.held[puid] = statement
            self._answer(201, {**statement, "uuid": f"uuid-{puid}"})

        def _many(self, body: dict[str, Any]) -> None:
            statements = body.get("statements")
            if not isinstance(statements, list) or not 1 <= len(statements) <= 100:
                self._answer(422, {"message": "statements: between 1 and 100", "errors": {}})
                return
            errors: dict[str, list[str]] = {}
            seen: set[str] = set()
            for index, statement in enumerate(statements):
                for name, messages in validate(statement).items():
                    errors[f"statements.{index}.{name}"] = messages
                puid = str(statement.get("puid"))
                if puid in db.held or puid in seen:
                    errors[f"statements.{index}.puid"] = [NOT_UNIQUE]
                seen.add(puid)
            if errors:  # all or nothing, as the database does
                self._answer(422, {"message": "The given data was invalid.", "errors": errors})
                return
            for statement in statements:
                db.held[str(statement["puid"])] = statement
            self._answer(201, {"statements": [{**s, "uuid": f"uuid-{s['puid']}"} for s in statements]})

    return Handler


@contextmanager
def running_database(token: str) -> Iterator[tuple[str, FakeDatabase]]:
    """A stand-in database on a free local port, stopped afterwards: (base URL, state)."""
    db = FakeDatabase(token=token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(db))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", db
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
