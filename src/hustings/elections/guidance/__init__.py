"""The guidance library: short UK-specific pages for people in public life, kept as versioned
Markdown beside this module.

Each page is a ``<slug>.md`` file that opens with TOML front matter between ``+++`` lines:

```toml
+++
title = "What to do about a threat"
summary = "One line for the list of pages."
version = 1           # raised whenever the advice changes
checked = 2026-12-01  # when the text was last checked against its sources
reviewed_by = ""      # who reviewed it (a solicitor, the police...); empty until someone has
order = 10            # place in the list
[[sources]]
title = "Online Safety Act 2023, section 181"
url = "https://www.legislation.gov.uk/ukpga/2023/50/section/181"
+++
```

and then Markdown, rendered with markdown-it-py (CommonMark and tables) with raw HTML escaped,
never passed through. `guidance_for` maps what was found about a message (its labels, or a
pile-on) to the pages to show beside it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

from hustings.errors import ConfigurationError, NotFound

FOLDER = Path(__file__).parent
FENCE = "+++"
NOT_LEGAL_ADVICE = "not legal advice"
"""Every page says so, in these words."""

LABEL_PAGES: dict[str, str] = {
    "threat": "threats",
    "doxxing": "home-address",
    "identity_hate": "criminal-offences",
    "sexual_harassment": "criminal-offences",
    "abuse": "hustings-controls",
}
"""Which page a detector label calls for, beside a message flagged with it."""
PILE_ON_PAGE = "hustings-controls"
"""The page beside a pile-on: how the shield, block and mute work."""
_URGENCY = ("threat", "doxxing", "sexual_harassment", "identity_hate", "abuse")


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class GuidancePage:
    slug: str
    title: str
    summary: str
    version: int
    checked: date
    reviewed_by: str
    order: int
    sources: tuple[Source, ...]
    markdown: str

    @property
    def html(self) -> str:
        """The body as HTML. Raw HTML in the Markdown is escaped, so this is safe to insert as is."""
        html: str = _renderer().render(self.markdown)
        return html


@cache
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def parse_page(slug: str, text: str) -> GuidancePage:
    """One page from its file's text; `ConfigurationError` naming the file and what is missing."""
    where = f"guidance/{slug}.md"
    first, _, rest = text.partition("\n")
    front, fence, body = rest.partition(f"\n{FENCE}\n")
    if first.strip() != FENCE or not fence:
        raise ConfigurationError(f"{where}: must open with TOML front matter between {FENCE} lines")
    try:
        meta = tomllib.loads(front)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{where}: front matter: {error}") from None
    missing = [key for key in ("title", "summary", "version", "checked", "sources") if key not in meta]
    if missing:
        raise ConfigurationError(f"{where}: front matter lacks {', '.join(missing)}")
    if not isinstance(meta["checked"], date) or not isinstance(meta["version"], int):
        raise ConfigurationError(f"{where}: checked must be a date (YYYY-MM-DD) and version a whole number")
    sources = tuple(Source(str(s["title"]), str(s.get("url", ""))) for s in meta["sources"])
    if not sources:
        raise ConfigurationError(f"{where}: names no sources")
    if NOT_LEGAL_ADVICE not in body.lower():
        raise ConfigurationError(f"{where}: must say that it is {NOT_LEGAL_ADVICE}")
    return GuidancePage(
        slug=slug,
        title=str(meta["title"]),
        summary=str(meta["summary"]),
        version=meta["version"],
        checked=meta["checked"],
        reviewed_by=str(meta.get("reviewed_by", "")),
        order=int(meta.get("order", 100)),
        sources=sources,
        markdown=body.strip() + "\n",
    )


@cache
def library() -> tuple[GuidancePage, ...]:
    """Every page, in their order."""
    pages = [parse_page(path.stem, path.read_text(encoding="utf-8")) for path in FOLDER.glob("*.md")]
    return tuple(sorted(pages, key=lambda page: (page.order, page.slug)))


def page(slug: str) -> GuidancePage:
    found = next((p for p in library() if p.slug == slug), None)
    if found is None:
        raise NotFound(f"guidance: no page {slug!r}")
    return found


def guidance_for(labels: Iterable[str] = (), *, pile_on: bool = False) -> list[GuidancePage]:
    """The pages to show beside a message flagged with `labels`, or a pile-on: the most urgent first.

    ``threat`` gives what to do about a threat, ``doxxing`` keeping a home address private, a
    pile-on the shield; labels with no page of their own give nothing.
    """
    wanted = set(labels)
    slugs = [LABEL_PAGES[label] for label in _URGENCY if label in wanted]
    if pile_on:
        slugs.insert(1 if "threat" in wanted else 0, PILE_ON_PAGE)
    return [page(slug) for slug in dict.fromkeys(slugs)]
