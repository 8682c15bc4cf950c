"""The recorded samples under tests/sources/samples, the register they are read against, and a
helper that runs one through its converter as `hustings ingest --format` does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hustings.cli.sources import records
from hustings.messages.changes import SourceChange
from hustings.messages.model import MessageIn, message_id
from hustings.sources import FORMATS, Changed, Converted, Failed, Passed, convert
from hustings.targets.model import Target, TargetRole

SAMPLES = Path(__file__).parent / "samples"

PRIYA_DID = "did:plc:4fenmarsh7priya2raman6mp"
TOM_DID = "did:plc:tomokafor3ward5council7x"
TROLL_DID = "did:plc:fenwatcher7zz2qk2m4n5bxa"
ANON_DID = "did:plc:q3k7v2mxw5zr6t4yhp2ncd7e"

PRIYA = Target(
    "t_priya",
    "Priya Raman",
    TargetRole.MP,
    None,
    "Fenmarsh",
    (
        ("bluesky", PRIYA_DID),
        ("mastodon", "priya@fenmarsh.social"),
        ("x", "priyaraman4fenmarsh"),
        ("email", "office@priyaraman.example"),
    ),
)
TOM = Target(
    "t_tom",
    "Tom Okafor",
    TargetRole.COUNCILLOR,
    None,
    "Marsh ward",
    (("bluesky", "tomokafor.bsky.social"), ("email", "tom.okafor@fenmarsh-council.example")),
)
REGISTER = (PRIYA, TOM)
# The same register as `hustings targets add` arguments, for the command-line tests.
REGISTER_ARGS = (
    ["Priya Raman", "--role", "mp", *[f"--handle={p}:{h}" for p, h in PRIYA.handles]],
    ["Tom Okafor", "--role", "councillor", *[f"--handle={p}:{h}" for p, h in TOM.handles]],
)


@dataclass
class Read:
    """What a sample gave: messages by where they were, skipped reasons, problems by where."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    converted: list[Converted] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """``where: error``, as `hustings ingest` prints them."""
    changes: list[tuple[str, SourceChange]] = field(default_factory=list)
    """Edits and deletions at source, by where."""

    def by_external_id(self, external_id: str) -> dict[str, Any]:
        (found,) = [m for m in self.messages.values() if m["external_id"] == external_id]
        return found


def read(format_name: str, sample: str, register: Sequence[Target] = REGISTER) -> Read:
    fmt = FORMATS[format_name]
    converter = fmt.converter(register)
    result = Read()
    for record in records(fmt, str(SAMPLES / sample)):
        if isinstance(record, Failed):
            result.problems.append(f"{record.where}: {record.error}")
            continue
        for outcome in convert(fmt, converter, record):
            if isinstance(outcome, Converted):
                MessageIn.model_validate(outcome.message)  # what a converter gives, ingest takes
                result.messages[outcome.where] = outcome.message
                result.converted.append(outcome)
            elif isinstance(outcome, Passed):
                result.skipped.append((outcome.where, outcome.reason))
            elif isinstance(outcome, Changed):
                result.changes.append((outcome.where, outcome.change.change))
            else:
                result.problems.append(f"{outcome.where}: {outcome.error}")
    return result


def thread_parent_id(message: dict[str, Any]) -> str | None:
    """The Hustings id of the message this one replies to, as ingest will store it."""
    parent = message["in_reply_to"]
    return message_id(message["source"], parent) if parent else None
