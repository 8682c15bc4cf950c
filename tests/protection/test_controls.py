"""Controls: hidden words match through obfuscation; block and mute lists round-trip as CSV;
sensitivity re-thresholds stored probabilities."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hustings.detect.assessment import LABELS, Assessment, Label
from hustings.errors import InvalidInput
from hustings.protection.controls import (
    Sensitivity,
    accounts_csv,
    base_thresholds,
    clean_hidden_word,
    find_hidden_words,
    hostile_labels,
    parse_accounts_csv,
    thresholds_for,
)

WORDS = ["idiot", "traitor", "vermin", "parasite", "cretin", "scumbag", "slag", "disgrace"]
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8", "g": "9"}
HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "i": "і", "x": "х", "s": "ѕ"}
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


@st.composite
def obfuscated(draw: st.DrawFn) -> tuple[str, str]:
    """A hidden word, and a disguise of it of the kinds people use to slip past filters."""
    word = draw(st.sampled_from(WORDS))
    chars = list(word)
    trick = draw(st.sampled_from(["leet", "homoglyph", "spacing", "stretch", "case"]))
    if trick == "leet":
        # Substitute some letters, never two side by side (as readers still have to read it).
        last = -2
        for i, ch in enumerate(chars):
            if ch in LEET and i - last > 1 and draw(st.booleans()):
                chars[i] = LEET[ch]
                last = i
    elif trick == "homoglyph":
        chars = [HOMOGLYPHS[c] if c in HOMOGLYPHS and draw(st.booleans()) else c for c in chars]
    elif trick == "spacing":
        chars = [draw(st.sampled_from([" ", ".", "-", "*", "_"])).join(chars)]
    elif trick == "stretch":
        i = draw(st.integers(0, len(chars) - 1))
        chars[i] = chars[i] * draw(st.integers(2, 6))
    else:
        chars = [c.upper() if draw(st.booleans()) else c for c in chars]
    disguised = "".join(chars)
    if draw(st.booleans()) and trick != "spacing":
        # Zero-width characters dropped between letters.
        at = draw(st.integers(1, len(disguised) - 1))
        disguised = disguised[:at] + draw(st.sampled_from(ZERO_WIDTH)) + disguised[at:]
    return word, disguised


@settings(max_examples=300, deadline=None)
@given(obfuscated(), st.sampled_from(["you {} ", "What a {}!", "{}", "honestly, {}. resign"]))
def test_obfuscating_a_hidden_word_does_not_hide_it(pair: tuple[str, str], frame: str) -> None:
    word, disguised = pair
    text = frame.format(disguised)
    found = find_hidden_words(text, [word])
    assert [m.word for m in found] == [word], (word, text)
    match = found[0]
    assert disguised.strip() in text[match.start : match.end] or text[match.start : match.end] in disguised


@given(st.sampled_from(WORDS), st.text(alphabet="bcdfhjkmnqrwxyz ", max_size=40))
def test_text_without_the_word_is_not_hidden(word: str, text: str) -> None:
    # The alphabet lacks a vowel in every hidden word, so none can appear.
    assert find_hidden_words(text, [word]) == []


def test_a_hidden_word_matches_at_the_start_of_a_word_only() -> None:
    assert find_hidden_words("you idiots", ["idiot"])
    assert find_hidden_words("radiotherapy saves lives", ["idiot"]) == []
    assert find_hidden_words("go back home", ["go back"])  # phrases too


def test_a_hidden_word_needs_letters() -> None:
    with pytest.raises(InvalidInput, match="word"):
        clean_hidden_word("   ")
    assert clean_hidden_word("  go   back ") == "go back"


def test_csv_import_keeps_good_rows_and_names_bad_lines() -> None:
    text = "platform,handle,note\nx,@troll1,spam\nx\nBAD PLATFORM!,someone\nbluesky,@a.b.bsky.social\nx,has space,\nx,h,n,2026,extra\n\nx,TROLL2\n"
    accounts, problems = parse_accounts_csv(text)
    assert [a.key for a in accounts] == ["x:troll1", "bluesky:a.b.bsky.social", "x:troll2"]
    assert [(p.line, p.error.split(":")[0]) for p in problems] == [
        (3, "expected platform,handle[,note]"),
        (4, "platform"),
        (6, "handle"),
        (7, "expected at most 4 columns, got 5"),
    ]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["x", "bluesky", "facebook"]),
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.", min_size=1, max_size=20),
            st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
        ),
        max_size=20,
    )
)
def test_csv_export_reads_back(rows: list[tuple[str, str, str]]) -> None:
    entries = {
        f"{p}:{h}": {"platform": p, "handle": h, "note": n.strip(), "added_at": "2026-05-07T09:00:00+00:00"}
        for p, h, n in rows
    }
    accounts, problems = parse_accounts_csv(accounts_csv(entries.values()))
    assert problems == []
    assert sorted(a.key for a in accounts) == sorted(entries)


def test_export_defuses_spreadsheet_formulas() -> None:
    out = accounts_csv(
        [{"platform": "x", "handle": "a", "note": '=HYPERLINK("http://evil")', "added_at": ""}]
    )
    assert "'=HYPERLINK" in out


def _assessment(abuse: float) -> Assessment:
    labels = dict.fromkeys(LABELS, 0.0) | {Label.ABUSE: abuse}
    flagged = (Label.ABUSE,) if abuse >= base_thresholds()[Label.ABUSE] else ()
    return Assessment(
        labels=labels, flagged=flagged, characteristic=None, evidence=(), model="m@1", severity=abuse
    )


def test_sensitivity_re_thresholds_stored_probabilities() -> None:
    base = dict.fromkeys(LABELS, 0.5)
    assert (
        thresholds_for(Sensitivity.HIGH, base)[Label.ABUSE]
        < 0.5
        < thresholds_for(Sensitivity.LOW, base)[Label.ABUSE]
    )
    # Placed by the shipped abuse threshold t: HIGH flags from 2t/3, LOW only from t + (1 - t)/2.
    shipped = base_thresholds()[Label.ABUSE]
    borderline = _assessment(shipped * 5 / 6)
    clear = _assessment((shipped + thresholds_for(Sensitivity.LOW)[Label.ABUSE]) / 2)
    assert hostile_labels(borderline, Sensitivity.STANDARD) == ()
    assert hostile_labels(borderline, Sensitivity.HIGH) == (Label.ABUSE,)
    assert hostile_labels(clear, Sensitivity.STANDARD) == (Label.ABUSE,)
    assert hostile_labels(clear, Sensitivity.LOW) == ()
    assert hostile_labels(None, Sensitivity.HIGH) == ()


def test_sensitivity_derives_from_the_deployment_thresholds_when_given() -> None:
    stricter_deployment = dict.fromkeys(LABELS, 0.9)
    moderate = _assessment(0.5)  # over the shipped abuse threshold's HIGH setting, under 0.9 x 2/3
    assert hostile_labels(moderate, Sensitivity.HIGH) == (Label.ABUSE,)
    assert hostile_labels(moderate, Sensitivity.HIGH, stricter_deployment) == ()
    assert hostile_labels(_assessment(0.7), Sensitivity.HIGH, stricter_deployment) == (Label.ABUSE,)
