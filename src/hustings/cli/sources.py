"""`hustings ingest --format bluesky-jetstream|mastodon|x-v2|eml|mbox`: read a platform's own
records from a file, convert them (`hustings.sources`) and ingest them with their originals."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine

from hustings.cli.common import fail, lines_with_progress, parse_json_line, stdin_lines, unit_of_work
from hustings.events import SYSTEM_ACTOR
from hustings.messages.changes import ChangeResult
from hustings.messages.ingest import IngestResult
from hustings.messages.model import Origin
from hustings.services import Services
from hustings.settings import Settings
from hustings.sources import FORMATS, Changed, Converted, Failed, Format, Passed, Record, convert
from hustings.sources.mail import mbox_messages
from hustings.sources.tally import Tally, count_batch

BATCH = 500


class IngestFormat(StrEnum):
    """What `hustings ingest FILE` holds: Hustings' own JSON Lines, or a platform's records."""

    HUSTINGS = "hustings"
    BLUESKY_JETSTREAM = "bluesky-jetstream"
    MASTODON = "mastodon"
    X_V2 = "x-v2"
    EML = "eml"
    MBOX = "mbox"


def store_batch(
    services: Services, converted: list[Converted], changed: list[Changed]
) -> tuple[IngestResult, ChangeResult]:
    """Ingest the messages of a batch with their originals, then log the edits and deletions it
    reported (after: an edit may be of a message in the same batch)."""
    origins: list[Origin | None] = [item.origin for item in converted]
    result = services.ingest([item.message for item in converted], actor=SYSTEM_ACTOR, origins=origins)
    changes = services.record_changes([item.change.change for item in changed], actor=SYSTEM_ACTOR)
    return result, changes


def ingest_platform(name: str, file: str, settings: Settings, engine: Engine) -> Tally:
    """Read `file` (or standard input for -) in format `name`, ingesting batches as they fill."""
    fmt = FORMATS[name]
    with unit_of_work(settings, engine) as services:
        converter = fmt.converter(services.targets.all())
    tally = Tally()
    batch: list[Converted] = []
    changed: list[Changed] = []

    def flush() -> None:
        if not batch and not changed:
            return
        with unit_of_work(settings, engine) as services:
            result, changes = store_batch(services, batch, changed)
        count_batch(tally, batch, result, changes)
        batch.clear()
        changed.clear()

    for record in records(fmt, file):
        if isinstance(record, Failed):
            tally.rejected.append((record.where, record.error))
            continue
        for outcome in convert(fmt, converter, record):
            if isinstance(outcome, Converted):
                batch.append(outcome)
            elif isinstance(outcome, Changed):
                changed.append(outcome)
            elif isinstance(outcome, Passed):
                tally.skipped[outcome.reason] += 1
            else:
                tally.rejected.append((outcome.where, outcome.error))
        if len(batch) + len(changed) >= BATCH:
            flush()
    flush()
    return tally


def records(fmt: Format, file: str) -> Iterator[Record | Failed]:
    """The records of `file` (- for standard input) as `fmt` lays them out, each with its bytes."""
    if fmt.container == "mbox":
        if file == "-":
            raise fail("mbox: give the mbox file's path; it cannot be read from standard input")
        path = _existing(file)
        for number, payload in enumerate(mbox_messages(path), start=1):
            yield Record(f"message {number}", payload, payload)
    elif fmt.container == "eml":
        payload = sys.stdin.buffer.read() if file == "-" else _existing(file).read_bytes()
        yield Record("message", payload, payload)
    elif file == "-":
        yield from json_records(stdin_lines())
    else:
        with lines_with_progress(_existing(file), "ingesting") as lines:
            yield from json_records(lines)


def _existing(file: str) -> Path:
    path = Path(file)
    if not path.is_file():
        raise fail(f"{file}: no such file")
    return path


def json_records(lines: Iterable[str]) -> Iterator[Record | Failed]:
    """JSON Lines, one record a line; or, where the first line is not JSON on its own but opens
    an object or array, the whole file as one JSON document (a saved API response), if it reads
    as one."""
    stream = iter(lines)
    before: list[str] = []
    for line in stream:
        before.append(line)
        if line.strip():
            break
    if not before or not before[-1].strip():
        return
    start = len(before)
    try:
        parse_json_line(before[-1])
    except ValueError:
        if before[-1].lstrip().startswith(("{", "[")):
            text = "".join(before) + "".join(stream)
            document = _document(text)
            if document is not None:
                yield document
                return
            yield from _lines(text.splitlines(keepends=True), 1)
            return
    yield from _lines(before[-1:], start)
    yield from _lines(stream, start + 1)


def _lines(lines: Iterable[str], first_number: int) -> Iterator[Record | Failed]:
    for number, line in enumerate(lines, start=first_number):
        if not line.strip():
            continue
        try:
            value = parse_json_line(line)
        except ValueError as problem:
            yield Failed(f"line {number}", str(problem))
            continue
        yield Record(f"line {number}", line.rstrip("\r\n").encode("utf-8", "surrogateescape"), value)


def _document(text: str) -> Record | None:
    """The whole text as one JSON document, or None where it is not one (then it is read as lines)."""
    try:
        value = parse_json_line(text)
    except ValueError:
        return None
    return Record("file", text.encode("utf-8", "surrogateescape"), value)
