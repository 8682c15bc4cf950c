"""The guidance library: every page names its sources and the date it was checked and says it is
not legal advice; Markdown is rendered with raw HTML escaped; labels lead to the right page."""

from __future__ import annotations

from datetime import date

import pytest

from hustings.elections.guidance import LABEL_PAGES, guidance_for, library, page, parse_page
from hustings.errors import ConfigurationError, NotFound

EXPECTED = {
    "threats",
    "reporting",
    "criminal-offences",
    "home-address",
    "personal-safety",
    "hustings-controls",
}


def test_the_library_has_its_pages_each_with_sources_a_date_and_the_disclaimer() -> None:
    pages = library()
    assert {p.slug for p in pages} == EXPECTED
    for found in pages:
        assert found.sources and all(s.title for s in found.sources), found.slug
        assert isinstance(found.checked, date) and found.version >= 1
        assert "not legal advice" in found.html.lower(), found.slug
        assert found.html.startswith("<h1>"), found.slug


def test_what_the_brief_asks_each_page_to_cover_is_there() -> None:
    text = {p.slug: p.markdown for p in library()}
    for offence in (
        "Threats to kill",
        "Harassment",
        "Stalking",
        "Malicious",
        "Threatening communications",
        "Intimidation at elections",
        "Hate crime",
    ):
        assert offence.lower() in text["criminal-offences"].lower(), offence
    for step in (
        "Keep the evidence",
        "999",
        "101",
        "Operation Bridger",
        "Parliamentary Liaison and Investigation Team",
        "single point of contact",
    ):
        assert step in text["reporting"], step
    for place in ("At home", "Surgeries", "Canvassing", "At the count"):
        assert f"## {place}" in text["personal-safety"], place
    for control in ("Block and mute", "Hidden words", "The shield"):
        assert control in text["hustings-controls"], control


def test_links_between_pages_lead_to_pages_that_exist() -> None:
    import re

    for found in library():
        for slug in re.findall(r"\(/guidance/([a-z-]+)\)", found.markdown):
            assert page(slug).slug == slug, f"{found.slug} links to /guidance/{slug}"


def test_raw_html_in_a_page_is_escaped_not_passed_through() -> None:
    text = (
        '+++\ntitle = "T"\nsummary = "S"\nversion = 1\nchecked = 2026-12-01\n'
        '[[sources]]\ntitle = "A source"\n+++\n# T\n\n<script>alert(1)</script> '
        "[x](javascript:alert(1))\n\nThis is not legal advice.\n"
    )
    html = parse_page("t", text).html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("# No front matter\n", "must open with TOML front matter"),
        ('+++\ntitle = "T"\n+++\nnot legal advice\n', "lacks summary, version, checked, sources"),
        (
            '+++\ntitle = "T"\nsummary = "S"\nversion = 1\nchecked = 2026-12-01\nsources = []\n+++\nnot legal advice\n',
            "names no sources",
        ),
        (
            '+++\ntitle = "T"\nsummary = "S"\nversion = 1\nchecked = 2026-12-01\n[[sources]]\ntitle = "A"\n+++\nAdvice.\n',
            "must say that it is not legal advice",
        ),
        (
            '+++\ntitle = "T"\nsummary = "S"\nversion = "one"\nchecked = "soon"\n[[sources]]\ntitle = "A"\n+++\nnot legal advice\n',
            "checked must be a date",
        ),
    ],
)
def test_a_page_without_what_every_page_needs_is_refused_naming_the_file(text: str, said: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"^guidance/bad\.md: .*{said}"):
        parse_page("bad", text)


def test_a_flagged_message_or_a_pile_on_leads_to_the_page_for_it() -> None:
    assert [p.slug for p in guidance_for(["threat"])] == ["threats"]
    assert [p.slug for p in guidance_for(["doxxing"])] == ["home-address"]
    assert [p.slug for p in guidance_for(pile_on=True)] == ["hustings-controls"]
    assert [p.slug for p in guidance_for(["abuse", "doxxing", "threat"], pile_on=True)] == [
        "threats",
        "hustings-controls",
        "home-address",
    ]
    assert guidance_for(["no_such_label"]) == []
    assert set(LABEL_PAGES.values()) <= EXPECTED
    with pytest.raises(NotFound, match="guidance: no page 'nope'"):
        page("nope")
