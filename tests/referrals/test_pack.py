"""Evidence packs: the PDF opens and holds every message; the manifest catches any alteration."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from hustings.cli.main import app
from hustings.detect.assessment import Evidence, Label
from hustings.errors import InvalidInput
from hustings.referrals.pack import MANIFEST, PDF, build_pack, pack_digest, read_item, sha256, verify_pack
from hustings.referrals.vault import PackVault
from tests.referrals.builders import assessment, content, item, message

TEXTS = [
    "I know where you live and I'll be outside your house at 9pm.",
    "Zażółć gęślą jaźń: Ελληνικά, кириллица, ĳsselmeer — «quoted» and Ω≈ç√",
    "word" * 60 + " a very long unbroken string the PDF must wrap",
]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def a_pack() -> bytes:
    parent = message("0", "Vote for the new bypass!", minutes=-30)
    threat = message("1", TEXTS[0], reply_to="0")
    evidence = Evidence(Label.THREAT, 0, 26, TEXTS[0][:26], "knows the home address")
    items = [
        type(item(threat))(
            message=threat,
            assessment=assessment(Label.THREAT, evidence=(evidence,)),
            thread=(parent,),
            author_history=(parent,),
        ),
        item(message("2", TEXTS[1], minutes=3), Label.ABUSE),
        item(message("3", TEXTS[2], minutes=4)),
    ]
    return build_pack(content(*items)).data


def pdf_text(pack: bytes) -> str:
    reader = PdfReader(io.BytesIO(read_item(pack, PDF)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_opens_and_its_text_contains_every_message_verbatim() -> None:
    text = squash(pdf_text(a_pack()))
    for original in TEXTS:
        assert squash(original) in text
    assert "notlegaladvice" in text and "Call999" in text


def test_characters_the_font_lacks_are_named_in_the_pdf_and_kept_exactly_in_the_json() -> None:
    built = build_pack(content(item(message("9", "see you soon 🙂"))))
    assert "[U+1F642]" in pdf_text(built.data)
    messages = json.loads(read_item(built.data, "messages.json"))
    assert messages["messages"][0]["message"]["text"] == "see you soon 🙂"


def test_the_manifest_hashes_every_item_and_the_pack() -> None:
    pack = a_pack()
    manifest = json.loads(read_item(pack, MANIFEST))
    listed = {entry["name"]: entry["sha256"] for entry in manifest["items"]}
    assert set(listed) == {"evidence.pdf", "messages.json", "hints.json", "custody.json"}
    for name, digest in listed.items():
        assert sha256(read_item(pack, name)) == digest
    assert manifest["pack_sha256"] == pack_digest(listed)
    assert verify_pack(pack).ok


def test_the_same_content_builds_the_same_bytes() -> None:
    assert a_pack() == a_pack()


def rewrite(pack: bytes, changes: dict[str, bytes | None]) -> bytes:
    """A copy of the ZIP with some members replaced (None removes one; new names are added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pack)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name in changes:
                replacement = changes[name]
                if replacement is not None:
                    target.writestr(name, replacement)
            else:
                target.writestr(name, source.read(name))
        for name, data in changes.items():
            if name not in source.namelist() and data is not None:
                target.writestr(name, data)
    return out.getvalue()


def test_an_altered_item_is_named() -> None:
    pack = a_pack()
    text = read_item(pack, "messages.json").replace(b"outside your house", b"outside your hous3")
    result = verify_pack(rewrite(pack, {"messages.json": text}))
    assert not result.ok
    assert len(result.problems) == 1 and result.problems[0].startswith("messages.json: altered")


def test_an_item_altered_with_its_manifest_line_still_breaks_the_pack_digest() -> None:
    pack = a_pack()
    pdf = read_item(pack, PDF) + b"%"
    manifest = json.loads(read_item(pack, MANIFEST))
    for entry in manifest["items"]:
        if entry["name"] == PDF:
            entry["sha256"] = sha256(pdf)
    result = verify_pack(rewrite(pack, {PDF: pdf, MANIFEST: json.dumps(manifest).encode()}))
    assert [p.split(":")[0] for p in result.problems] == [MANIFEST]


def test_a_pack_rewritten_consistently_fails_against_the_digest_the_log_recorded() -> None:
    pack = a_pack()
    recorded = json.loads(read_item(pack, MANIFEST))["pack_sha256"]
    hints = read_item(pack, "hints.json").replace(b"Call 999", b"Call 111")
    manifest = json.loads(read_item(pack, MANIFEST))
    for entry in manifest["items"]:
        if entry["name"] == "hints.json":
            entry["sha256"] = sha256(hints)
    manifest["pack_sha256"] = pack_digest({e["name"]: e["sha256"] for e in manifest["items"]})
    forged = rewrite(pack, {"hints.json": hints, MANIFEST: json.dumps(manifest).encode()})
    assert verify_pack(forged).ok  # self-consistent...
    assert not verify_pack(forged, recorded_sha256=[recorded]).ok  # ...but not what the log recorded


def test_missing_and_extra_items_are_named() -> None:
    pack = a_pack()
    result = verify_pack(rewrite(pack, {"custody.json": None, "note.txt": b"hello"}))
    assert any(p.startswith("custody.json: listed in the manifest but missing") for p in result.problems)
    assert any(p.startswith("note.txt: in the pack but not in the manifest") for p in result.problems)


def test_a_file_that_is_not_a_pack_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="not a ZIP"):
        verify_pack(b"hello")


runner = CliRunner()


def test_verify_pack_command_passes_a_good_pack_and_names_the_altered_item(tmp_path: Path) -> None:
    good = tmp_path / "pack.zip"
    good.write_bytes(a_pack())
    result = runner.invoke(app, ["verify-pack", str(good)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout
    bad = tmp_path / "bad.zip"
    bad.write_bytes(rewrite(a_pack(), {PDF: read_item(a_pack(), PDF)[:-10]}))
    result = runner.invoke(app, ["verify-pack", str(bad)])
    assert result.exit_code == 1
    assert "evidence.pdf: altered" in result.stderr and "Traceback" not in result.output
    missing = runner.invoke(app, ["verify-pack", str(tmp_path / "nope.zip")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_packs_at_rest_are_encrypted_and_need_the_right_secret(tmp_path: Path) -> None:
    pack = a_pack()
    vault = PackVault(tmp_path / "packs", "a-long-random-secret")
    path = vault.save("p_0123456789abcdef", pack)
    stored = path.read_bytes()
    assert not stored.startswith(b"PK") and b"outside your house" not in stored
    assert vault.load("p_0123456789abcdef") == pack
    from hustings.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="rotated"):
        PackVault(tmp_path / "packs", "another-secret").load("p_0123456789abcdef")


def _offset_of_data(pack: bytes, name: str) -> int:
    """Where `name`'s compressed bytes begin inside the ZIP."""
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        info = archive.getinfo(name)
    header = info.header_offset
    name_length = int.from_bytes(pack[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(pack[header + 28 : header + 30], "little")
    return header + 30 + name_length + extra_length


@pytest.mark.parametrize("name", [PDF, "messages.json", "custody.json"])
def test_a_zip_damaged_inside_an_item_gets_a_verdict_naming_the_item(name: str) -> None:
    pack = bytearray(a_pack())
    start = _offset_of_data(bytes(pack), name)
    for position in range(start + 5, start + 25):
        pack[position] ^= 0xFF
    result = verify_pack(bytes(pack))
    assert not result.ok
    assert [p.split(":")[0] for p in result.problems if "damaged" in p] == [name]


def test_a_zip_cut_short_or_empty_is_refused_saying_so(tmp_path: Path) -> None:
    pack = a_pack()
    with pytest.raises(InvalidInput, match=r"damaged ZIP.*cut short"):
        verify_pack(pack[: len(pack) // 2])
    with pytest.raises(InvalidInput, match="empty"):
        verify_pack(b"")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(pack[:-30])
    result = runner.invoke(app, ["verify-pack", str(cut)])
    assert result.exit_code != 0 and "damaged ZIP" in result.stderr and "Traceback" not in result.output


def test_a_damaged_manifest_is_named() -> None:
    pack = bytearray(a_pack())
    start = _offset_of_data(bytes(pack), MANIFEST)
    for position in range(start + 5, start + 25):
        pack[position] ^= 0xFF
    with pytest.raises(InvalidInput, match=r"manifest\.json: damaged"):
        verify_pack(bytes(pack))


def test_a_replys_parent_is_in_the_pack_where_held_and_said_to_be_missing_where_not() -> None:
    parent = message("10", "Vote for the new bypass!", minutes=-30)
    held = message("11", "I know where you live.", reply_to="10")
    orphan = message("12", "You'll get what's coming.", reply_to="99")
    pack = build_pack(content(item(held, thread=(parent,)), item(orphan))).data
    records = json.loads(read_item(pack, "messages.json"))["messages"]
    assert records[0]["in_reply_to"]["held"] is True and records[0]["thread"][0]["id"] == parent.id
    assert records[1]["in_reply_to"]["held"] is False and records[1]["thread"] == []
    text = " ".join(pdf_text(pack).split())
    assert f"a message not held by Hustings ({orphan.in_reply_to_id})" in text
    assert f"{parent.id} (held: shown in the thread)" in text


def test_a_pack_carries_the_original_record_byte_for_byte_with_its_hash_and_capture() -> None:
    from datetime import UTC, datetime

    from hustings.messages.model import Capture, Origin, OriginalRecord

    payload = (
        b'{"id":"1101","uri":"https://example.social/users/a/statuses/1101","content":'
        b'"<p>I know where your constituency office is &amp; I&#39;ll be waiting</p>"}\n'
    )
    record = OriginalRecord(payload=payload, format="mastodon")
    captured = Capture(
        message_id="m",
        origin=Origin(
            record=record,
            pointer="",
            converter="hustings.sources.mastodon",
            converter_version="1",
            source_time=datetime(2026, 5, 6, 9, 0, tzinfo=UTC),
        ),
        received_at=datetime(2026, 5, 6, 9, 0, 2, tzinfo=UTC),
    )
    threat = message("20", "I know where your constituency office is & I'll be waiting")
    with_original = type(item(threat))(message=threat, assessment=None, original=captured)
    pack = build_pack(content(with_original, item(message("21", "plain JSON message")))).data
    name = f"originals/{record.sha256}.json"
    assert read_item(pack, name) == payload
    assert verify_pack(pack).ok and name in verify_pack(pack).items
    records = json.loads(read_item(pack, "messages.json"))["messages"]
    original = records[0]["original_record"]
    assert original["sha256"] == sha256(payload) and original["item"] == name
    assert original["converter"] == "hustings.sources.mastodon" and original["format"] == "mastodon"
    assert original["captured_at_source"].startswith("2026-05-06T09:00:00")
    assert original["received_by_hustings_at"].startswith("2026-05-06T09:00:02")
    assert records[1]["original_record"] is None
    text = " ".join(pdf_text(pack).split())
    assert "hustings.sources.mastodon" in text and "Original record" in text
    # An altered original is caught and named, like any other item.
    assert (
        verify_pack(rewrite(pack, {name: payload.replace(b"waiting", b"wafting")}))
        .problems[0]
        .startswith(name)
    )
