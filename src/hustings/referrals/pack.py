"""Evidence packs: a ZIP of a readable PDF, the messages verbatim as JSON, the hints and the chain
of custody, with a manifest holding the SHA-256 of every item and of the pack.

The pack's own digest (`pack_sha256`) is the SHA-256 of the manifest's item lines in
``sha256sum`` format (``<hex>  <name>\\n``, sorted by name): it changes if any item does, and it
can be recomputed with ordinary tools. It is also written to the referral's event log when the
pack is built, so a pack whose manifest was rewritten to match altered items still fails against
the log.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hustings.clock import iso
from hustings.errors import InvalidInput
from hustings.messages.model import Message
from hustings.referrals.content import PackContent, PackMessage
from hustings.referrals.hints import (
    DISCLAIMER,
    assess_urgency,
    cps_checklist,
    offence_hints,
)
from hustings.referrals.pdf import render_pdf

MANIFEST = "manifest.json"
PDF = "evidence.pdf"
MESSAGES = "messages.json"
HINTS = "hints.json"
CUSTODY = "custody.json"
FORMAT = "hustings-evidence-pack/1"
# A fixed timestamp inside the ZIP, so the same content always gives the same archive bytes.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pack_digest(items: Mapping[str, str]) -> str:
    """The pack's SHA-256: over ``<sha256>  <name>`` lines of every item, sorted by name."""
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(items.items()))
    return sha256(lines.encode("utf-8"))


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def message_json(message: Message) -> dict[str, Any]:
    """A message as the pack records it: every field, the text exactly as stored."""
    return {
        "id": message.id,
        "source": message.source,
        "external_id": message.external_id,
        "text": message.text,
        "created_at": iso(message.created_at),
        "url": message.url,
        "lang": message.lang,
        "in_reply_to_id": message.in_reply_to_id,
        "targets": [{"ref": ref, "target_id": target_id} for ref, target_id in message.targets],
        "author": {
            "key": message.author.key,
            "source": message.author.source,
            "id": message.author.external_id,
            "handle": message.author.handle,
            "display_name": message.author.display_name,
            "created_at": iso(message.author.created_at),
            "followers": message.author.followers,
        },
        "ingested_at": iso(message.ingested_at),
    }


ORIGINALS = "originals/"
"""Where the records messages were read from are kept in a pack, each under its SHA-256."""


def original_item_name(item: PackMessage) -> str | None:
    """The pack item holding the message's original record, or None if it has none."""
    if item.original is None:
        return None
    record = item.original.origin.record
    extension = "eml" if record.format in {"eml", "mbox"} else "json"
    return f"{ORIGINALS}{record.sha256}.{extension}"


def original_json(item: PackMessage) -> dict[str, Any] | None:
    """How and when the message's original record was captured, and where it is in the pack."""
    if item.original is None:
        return None
    origin = item.original.origin
    return {
        "item": original_item_name(item),
        "sha256": origin.record.sha256,
        "bytes": len(origin.record.payload),
        "format": origin.record.format,
        "pointer": origin.pointer,
        "converter": origin.converter,
        "converter_version": origin.converter_version,
        "captured_at_source": iso(origin.source_time),
        "received_by_hustings_at": iso(item.original.received_at),
    }


def _pack_message_json(item: PackMessage) -> dict[str, Any]:
    return {
        "original_record": original_json(item),
        "message": message_json(item.message),
        "assessment": item.assessment.to_json() if item.assessment else None,
        "reports": [
            {
                "at": iso(report.at),
                "reporter_kind": report.reporter_kind,
                "category": report.category,
                "claims_illegal": report.claims_illegal,
                "note": report.note,
            }
            for report in item.reports
        ],
        "thread": [message_json(other) for other in item.thread],
        "in_reply_to": None
        if item.message.in_reply_to_id is None
        else {"id": item.message.in_reply_to_id, "held": item.parent_held, "note": item.in_reply_to},
        "author_history_with_target": [message_json(other) for other in item.author_history],
        "history_at_source": [revision.to_json() for revision in item.source_history],
    }


@dataclass(frozen=True, slots=True)
class BuiltPack:
    """A pack ready to store: the ZIP bytes, its manifest, and what the hints concluded."""

    pack_id: str
    data: bytes
    manifest: dict[str, Any]
    urgent: bool

    @property
    def pack_sha256(self) -> str:
        return str(self.manifest["pack_sha256"])

    @property
    def filename(self) -> str:
        return f"evidence-pack-{self.pack_id}.zip"


def build_pack(content: PackContent) -> BuiltPack:
    """Make the pack's items, hash each, and zip them with the manifest."""
    roles = [target.role.value for target in content.targets]
    hints = offence_hints(content.messages, target_roles=roles)
    checklist = cps_checklist(content.messages)
    urgency = assess_urgency(content.messages)
    items: dict[str, bytes] = {
        MESSAGES: _json_bytes(
            {
                "referral_id": content.referral_id,
                "pack_id": content.pack_id,
                "targets": [
                    {
                        "id": t.id,
                        "name": t.name,
                        "role": t.role.value,
                        "party": t.party,
                        "constituency": t.constituency,
                        "handles": [{"platform": p, "handle": h} for p, h in t.handles],
                    }
                    for t in content.targets
                ],
                "messages": [_pack_message_json(item) for item in content.messages],
            }
        ),
        HINTS: _json_bytes(
            {
                "disclaimer": DISCLAIMER,
                "urgency": urgency.to_json(),
                "offence_hints": [hint.to_json() for hint in hints],
                "cps_checklist": [entry.to_json() for entry in checklist],
            }
        ),
        CUSTODY: _json_bytes(
            [link.to_json() for link in content.custody]
            + [
                {
                    "at": iso(content.built_at),
                    "actor": content.built_by,
                    "who": content.built_by_who or content.built_by,
                    "action": "pack built",
                    "detail": content.pack_id,
                }
            ]
        ),
    }
    for pack_item in content.messages:
        name = original_item_name(pack_item)
        if name is not None and pack_item.original is not None:
            items[name] = pack_item.original.origin.record.payload
    items[PDF] = render_pdf(
        content, hints=hints, checklist=checklist, urgency=urgency, other_items=sorted(items)
    )
    digests = {name: sha256(data) for name, data in items.items()}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "referral_id": content.referral_id,
        "pack_id": content.pack_id,
        "built_at": iso(content.built_at),
        "built_by": content.built_by,
        "hash_algorithm": "sha256",
        "items": [
            {"name": name, "sha256": digests[name], "bytes": len(items[name])} for name in sorted(items)
        ],
        "pack_sha256": pack_digest(digests),
        "pack_sha256_is_over": "the lines '<sha256>  <name>\\n' of every item, sorted by name (sha256sum format)",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in [MANIFEST, *sorted(items)]:
            data = _json_bytes(manifest) if name == MANIFEST else items[name]
            archive.writestr(
                zipfile.ZipInfo(name, date_time=_ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED
            )
    return BuiltPack(
        pack_id=content.pack_id, data=buffer.getvalue(), manifest=manifest, urgent=urgency.urgent
    )


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of checking a pack: what it claims, and every problem found."""

    pack_id: str
    referral_id: str
    pack_sha256: str
    items: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class DamagedItem(Exception):
    """An item whose stored bytes cannot be read back out of the ZIP; the message says why."""


# What the zipfile module raises for a damaged member: a CRC mismatch or bad header
# (BadZipFile), corrupt compressed data (zlib.error), data cut short (EOFError), or an
# impossible size or offset (ValueError, OSError).
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError)


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    """An item's bytes; `DamagedItem` naming the damage where the ZIP cannot give them back."""
    try:
        return archive.read(name)
    except _DAMAGE as error:
        raise DamagedItem(f"damaged in the ZIP, its bytes cannot be read back ({error})") from None


def open_archive(data: bytes) -> zipfile.ZipFile:
    """The pack as a ZIP; `InvalidInput` saying what is wrong where it is not one, or is cut short."""
    if not data:
        raise InvalidInput("pack: the file is empty")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        if data[:4] == b"PK\x03\x04":
            raise InvalidInput(
                f"pack: a damaged ZIP: it starts as one, but its directory of items is missing or "
                f"corrupt ({error}); the file was probably cut short in a download or copy"
            ) from None
        raise InvalidInput("pack: not a ZIP file") from None
    except _DAMAGE as error:
        raise InvalidInput(f"pack: a damaged ZIP ({error})") from None


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(_read(archive, MANIFEST))
    except KeyError:
        raise InvalidInput(f"{MANIFEST}: the pack has no manifest") from None
    except DamagedItem as error:
        raise InvalidInput(f"{MANIFEST}: {error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{MANIFEST}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("items"), list):
        raise InvalidInput(f"{MANIFEST}: has no list of items")
    return manifest


def verify_pack(data: bytes, *, recorded_sha256: Sequence[str] = ()) -> Verification:
    """Recompute every hash in a pack. Problems name the item at fault.

    `recorded_sha256`, when given, are the pack digests the event log holds for this pack: the
    manifest's digest must be one of them.
    """
    archive = open_archive(data)
    with archive:
        manifest = read_manifest(archive)
        problems: list[str] = []
        listed: dict[str, str] = {}
        for entry in manifest["items"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                problems.append(f"{MANIFEST}: an item without a name")
                continue
            listed[entry["name"]] = str(entry.get("sha256", ""))
        present = set(archive.namelist()) - {MANIFEST}
        for name, expected in sorted(listed.items()):
            if name not in present:
                problems.append(f"{name}: listed in the manifest but missing from the pack")
                continue
            try:
                actual = sha256(_read(archive, name))
            except DamagedItem as error:
                problems.append(f"{name}: {error}")
                continue
            if actual != expected:
                problems.append(f"{name}: altered (sha256 {actual}, manifest says {expected})")
        for name in sorted(present - set(listed)):
            problems.append(f"{name}: in the pack but not in the manifest")
        claimed = str(manifest.get("pack_sha256", ""))
        recomputed = pack_digest(listed)
        if claimed != recomputed:
            problems.append(
                f"{MANIFEST}: altered (pack_sha256 {claimed} does not match its items, {recomputed})"
            )
        if recorded_sha256 and claimed not in recorded_sha256:
            problems.append(
                f"{MANIFEST}: pack_sha256 {claimed} is not the digest the event log recorded for this pack"
            )
    return Verification(
        pack_id=str(manifest.get("pack_id", "")),
        referral_id=str(manifest.get("referral_id", "")),
        pack_sha256=claimed,
        items=tuple(sorted(listed)),
        problems=tuple(problems),
    )


def read_item(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def new_pack_id() -> str:
    import uuid

    return "p_" + uuid.uuid4().hex[:16]
