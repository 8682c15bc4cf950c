"""HTML becomes the text a reader sees: what the detector must score, not the markup."""

from __future__ import annotations

from hustings.sources.html import html_to_text

THREAT = "<p>I know where your constituency office is &amp; I'll be waiting outside it on Friday night</p>"


def test_the_issues_threat_becomes_plain_text() -> None:
    assert html_to_text(THREAT) == (
        "I know where your constituency office is & I'll be waiting outside it on Friday night"
    )


def test_paragraphs_and_line_breaks_are_kept() -> None:
    assert html_to_text("<p>one</p><p>two<br>three</p>\n<p>  four </p>") == "one\n\ntwo\nthree\n\nfour"
    assert html_to_text("<div>a<div>b</div></div><ul><li>c</li><li>d</li></ul>") == "a\nb\n\nc\nd"


def test_link_text_is_kept_whole_and_entities_unescaped() -> None:
    mastodon_link = (
        '<p>see <a href="https://fenmarsh.example/petition/council-tax-2026">'
        '<span class="invisible">https://</span><span class="ellipsis">fenmarsh.example/petition/coun</span>'
        '<span class="invisible">cil-tax-2026</span></a> &lt;3 &quot;now&quot; &#x1F621; &mdash; x</p>'
    )
    assert (
        html_to_text(mastodon_link)
        == 'see https://fenmarsh.example/petition/council-tax-2026 <3 "now" 😡 — x'
    )
    mention = '<span class="h-card"><a href="https://fenmarsh.social/@priya" class="u-url mention">@<span>priya</span></a></span> hi'
    assert html_to_text(mention) == "@priya hi"


def test_scripts_styles_comments_and_the_head_are_not_text() -> None:
    page = (
        "<html><head><title>Subject</title><style>p{color:red}</style></head>"
        "<body><!-- tracking --><script>alert(1)</script><p>body</p></body></html>"
    )
    assert html_to_text(page) == "body"


def test_markup_a_browser_would_repair_is_read_as_a_browser_reads_it() -> None:
    assert html_to_text("<p>unclosed <b>bold<p>next") == "unclosed bold\n\nnext"
    assert html_to_text("plain text &amp; no tags") == "plain text & no tags"
    assert html_to_text("") == "" and html_to_text("   ") == ""


def test_hostile_nesting_does_not_exhaust_the_stack() -> None:
    assert html_to_text("<div>" * 20_000 + "deep" + "</div>" * 20_000) == "deep"
