"""The evidence pack's PDF: what a police officer reads. Built with fpdf2 in a Unicode font.

Message text is printed verbatim; DejaVu Sans covers Latin, Greek, Cyrillic, Arabic, Hebrew and
many symbols, so abuse written in any of them reads as it was sent.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from hustings.errors import ConfigurationError
from hustings.messages.changes import SourceRevision
from hustings.messages.model import Message
from hustings.referrals.content import PackContent, PackMessage
from hustings.referrals.hints import DISCLAIMER, ChecklistItem, OffenceHint, Urgency

FONT = "DejaVu"
SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian and Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
    Path("/usr/share/fonts/TTF"),  # Arch
)
# Shipped so a pack can be built where no system DejaVu is installed (licence beside it).
BUNDLED = Path(__file__).parent / "fonts"


def font_files() -> tuple[Path, Path]:
    """(regular, bold) DejaVu Sans: the system's if installed, else the copy in the package."""
    for folder in SYSTEM_FONTS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    regular = BUNDLED / "DejaVuSans.ttf"
    if not regular.is_file():
        raise ConfigurationError("no DejaVu Sans font found: install Debian's fonts-dejavu-core")
    return regular, regular


def _when(moment: datetime | None) -> str:
    return "unknown" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@functools.cache
def _covered(font: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fpdf2 depends on it; it has no stubs

    with TTFont(str(font), lazy=True) as loaded:
        return frozenset(loaded.getBestCmap())


def _clean(text: str) -> str:
    """Text as the font can draw it: a character it has no glyph for (most emoji) is written as
    ``[U+1F642]`` so the officer knows it is there; the exact text is in messages.json."""
    covered = _covered(font_files()[0])
    out = []
    for ch in text.replace("\r\n", "\n"):
        if ch in "\n\t":
            out.append(ch)
        elif not ch.isprintable() and ch != " ":
            out.append(f"[U+{ord(ch):04X}]")
        elif ord(ch) in covered:
            out.append(ch)
        else:
            out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.title_line = title
        regular, bold = font_files()
        self.add_font(FONT, "", str(regular))
        self.add_font(FONT, "B", str(bold))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 16, 18)

    def header(self) -> None:
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(
            0, 5, "Sensitive: contains personal data. " + self.title_line, new_x="LMARGIN", new_y="NEXT"
        )
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(2)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, _clean(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_font(FONT, "", 10)
        self.ln(1)

    def para(self, text: str, size: int = 10) -> None:
        self.set_font(FONT, "", size)
        self.multi_cell(0, 5, _clean(text), new_x="LMARGIN", new_y="NEXT", align="L")

    def field(self, label: str, value: str) -> None:
        self.set_font(FONT, "B", 9)
        self.cell(42, 5, label)
        self.set_font(FONT, "", 9)
        self.multi_cell(0, 5, _clean(value) or "-", new_x="LMARGIN", new_y="NEXT", align="L")

    def verbatim(self, text: str) -> None:
        self.set_font(FONT, "", 10)
        self.set_fill_color(245, 245, 240)
        self.multi_cell(
            0,
            5.5,
            _clean(text) or "(empty message)",
            border=1,
            fill=True,
            padding=2,
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
        self.ln(1)


def _line(message: Message) -> str:
    return f"{_when(message.created_at)}  {message.author.handle} ({message.source}): {message.text}"


def _revision_heading(revision: SourceRevision) -> str:
    """What happened and when the source says it did (or, where it does not say, when recorded)."""
    what = "Deleted at the source" if revision.deleted else "Edited at the source"
    when = _when(revision.at) if revision.at else f"{_when(revision.recorded_at)} (when recorded)"
    flagged = f"; flagged {', '.join(revision.flagged)}" if revision.flagged else ""
    return f"{what} {when}; recorded by Hustings {_when(revision.recorded_at)}{flagged}"


def _revision(doc: _Document, revision: SourceRevision) -> None:
    doc.para(_revision_heading(revision), 9)
    if revision.text is not None:
        doc.verbatim(revision.text)


def _message_section(doc: _Document, index: int, total: int, item: PackMessage) -> None:
    message = item.message
    doc.heading(f"Message {index} of {total}", 12)
    doc.field("Sent", _when(message.created_at))
    doc.field("Platform", message.source)
    doc.field("URL", message.url or "none given")
    doc.field("Platform message id", message.external_id)
    doc.field("Hustings message id", message.id)
    doc.field("Author handle", message.author.handle)
    doc.field("Author id", f"{message.author.external_id} (on {message.author.source})")
    doc.field("Author display name", message.author.display_name or "none given")
    doc.field("Account created", _when(message.author.created_at))
    doc.field("Followers", "unknown" if message.author.followers is None else str(message.author.followers))
    doc.field("Addressed to", ", ".join(message.target_refs) or "none")
    doc.field("Received by Hustings", _when(message.ingested_at))
    doc.set_font(FONT, "B", 10)
    doc.cell(0, 6, "Text, verbatim:", new_x="LMARGIN", new_y="NEXT", align="L")
    doc.verbatim(message.text)
    assessment = item.assessment
    if assessment is None:
        doc.field("Detector", "not assessed")
    else:
        scores = ", ".join(f"{label.value} {score:.2f}" for label, score in assessment.labels.items())
        doc.field("Detector model", assessment.model)
        doc.field("Flagged", ", ".join(label.value for label in assessment.flagged) or "nothing")
        doc.field("Scores", scores)
        if assessment.characteristic:
            doc.field("Characteristic", assessment.characteristic.value)
        for evidence in assessment.evidence:
            doc.field(
                "Evidence",
                f'{evidence.label.value}: "{evidence.text}" (characters {evidence.start}-{evidence.end}): '
                f"{evidence.reason}",
            )
    for report in item.reports:
        illegal = "; reporter says illegal" if report.claims_illegal else ""
        note = f"; note: {report.note}" if report.note else ""
        doc.field(
            "Reported", f"{_when(report.at)} by {report.reporter_kind} as {report.category}{illegal}{note}"
        )
    if item.original is not None:
        origin = item.original.origin
        at_source = f"; at source {_when(origin.source_time)}" if origin.source_time else ""
        doc.field(
            "Original record",
            f"{origin.record.format}, {len(origin.record.payload)} bytes, sha256 {origin.record.sha256}; "
            f"read by {origin.converter} {origin.converter_version}"
            f"{' at ' + origin.pointer if origin.pointer else ''}{at_source}; "
            f"received by Hustings {_when(item.original.received_at)}; "
            f"kept byte for byte in this pack as originals/{origin.record.sha256}.*",
        )
    if item.source_history:
        doc.set_font(FONT, "B", 10)
        doc.cell(
            0,
            6,
            "History at the source (the text above is as received; the source later reported):",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        for revision in item.source_history:
            _revision(doc, revision)
    if item.in_reply_to is not None:
        doc.field("In reply to", item.in_reply_to)
    if item.thread:
        doc.set_font(FONT, "B", 10)
        doc.cell(
            0,
            6,
            f"Thread around it ({len(item.thread)} message(s), oldest first):",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        for other in item.thread:
            doc.para(_line(other), 9)
    doc.field(
        "Author's history",
        f"{len(item.author_history)} other message(s) to this target: see 'History of each author' below",
    )


def _histories(doc: _Document, messages: Sequence[PackMessage]) -> None:
    """Each author's other messages to the target, once per author (not once per message)."""
    shown: dict[str, dict[str, Message]] = {}
    for item in messages:
        history = shown.setdefault(item.message.author.handle, {})
        for other in item.author_history:
            history.setdefault(other.id, other)
    doc.heading("History of each author with this target")
    for handle, history in sorted(shown.items()):
        doc.set_font(FONT, "B", 10)
        doc.multi_cell(
            0,
            6,
            _clean(f"{handle}: {len(history)} other message(s)"),
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
        for other in sorted(history.values(), key=lambda m: (m.created_at, m.id)):
            doc.para(_line(other), 9)


def render_pdf(
    content: PackContent,
    *,
    hints: Sequence[OffenceHint],
    checklist: Sequence[ChecklistItem],
    urgency: Urgency,
    other_items: Sequence[str],
) -> bytes:
    """The pack's PDF as bytes; the same content gives the same bytes (the creation date is the build time)."""
    doc = _Document(f"Referral {content.referral_id}, pack {content.pack_id}")
    doc.set_creation_date(content.built_at)
    doc.set_title(f"Evidence pack {content.pack_id}")
    doc.set_author("Hustings")
    doc.add_page()
    doc.heading("Evidence pack for a police referral", 16)
    doc.field("Referral", content.referral_id)
    doc.field("Pack", content.pack_id)
    doc.field("Built", f"{_when(content.built_at)} by {content.built_by_who or content.built_by}")
    doc.field("Force", content.force or "not yet chosen")
    doc.field("Unit", content.unit or "-")
    doc.field("Crime reference", content.crime_reference or "none yet")
    if content.note:
        doc.field("Note", content.note)
    if urgency.urgent:
        doc.ln(2)
        doc.set_fill_color(255, 225, 225)
        doc.set_font(FONT, "B", 12)
        doc.multi_cell(
            0,
            7,
            "URGENT: flagged for immediate action. " + urgency.guidance,
            border=1,
            fill=True,
            padding=2,
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
        for reason in urgency.reasons:
            doc.para("- " + reason, 9)
    doc.heading("Protected person")
    if not content.targets:
        doc.para("No registered target is named in these messages.")
    for target in content.targets:
        doc.field("Name", target.name)
        doc.field("Role", target.role.value)
        doc.field("Party", target.party or "-")
        doc.field("Constituency or ward", target.constituency or "-")
        doc.field(
            "Handles", ", ".join(f"{platform}: @{handle}" for platform, handle in target.handles) or "-"
        )
        doc.ln(1)
    authors = sorted({item.message.author.handle for item in content.messages})
    doc.heading("Summary")
    doc.para(f"{len(content.messages)} message(s) from {len(authors)} author(s): {', '.join(authors)}.")
    for index, item in enumerate(content.messages, start=1):
        _message_section(doc, index, len(content.messages), item)
    _histories(doc, content.messages)
    doc.heading("Offences to consider")
    doc.set_font(FONT, "B", 9)
    doc.multi_cell(0, 5, DISCLAIMER, border=1, padding=2, new_x="LMARGIN", new_y="NEXT", align="L")
    if not hints:
        doc.para("No offence hint applies to what was found.")
    for hint in hints:
        doc.ln(1)
        doc.set_font(FONT, "B", 10)
        doc.multi_cell(0, 5, f"{hint.offence}: {hint.legislation}", new_x="LMARGIN", new_y="NEXT", align="L")
        doc.para(hint.why, 9)
        doc.para("Messages: " + ", ".join(hint.message_ids), 8)
    doc.heading("CPS guidance on social media communications: checklist")
    for entry in checklist:
        doc.set_font(FONT, "B", 9)
        doc.multi_cell(0, 5, entry.question, new_x="LMARGIN", new_y="NEXT", align="L")
        doc.para(f"Found: {entry.finding.value}. {entry.grounds}", 9)
    doc.heading("Chain of custody (to the time this pack was built)")
    for link in content.custody:
        doc.para(f"{_when(link.at)}  {link.who or link.actor}  {link.action}  {link.detail}", 9)
    doc.para(
        f"{_when(content.built_at)}  {content.built_by_who or content.built_by}  pack built  {content.pack_id}",
        9,
    )
    doc.heading("Verifying this pack")
    doc.para(
        "This PDF is one item of a ZIP pack. manifest.json in the same pack lists the SHA-256 of every item "
        "and of the pack as a whole. Anyone can recompute them (e.g. sha256sum, or `hustings verify-pack "
        "PACK.zip`); a changed item no longer matches. Other items: " + ", ".join(other_items) + "."
    )
    return bytes(doc.output())
