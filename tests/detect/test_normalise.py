"""The normaliser undoes obfuscation and never loses track of the original characters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hustings.detect.normalise import normalise


def test_undoes_common_obfuscation() -> None:
    assert normalise("I will k1ll y0u").text == "i will kill you"
    assert normalise("k i l l yourself").text == "kill yourself"
    assert normalise("k.i.l.l").text == "kill"
    assert normalise("ki\u200bll\u200d you").text == "kill you"
    assert normalise("kіll yоu").text == "kill you"  # Cyrillic і and о
    assert normalise("diiiiie").text == "die"
    assert normalise("killllll").text == "kill"
    assert normalise("Ｓｈｏｏｔ").text == "shoot"
    assert normalise("🔪🪢").text == "knife noose"


def test_leaves_ordinary_text_alone() -> None:
    assert normalise("See you at 3:15 on Friday!").text == "see you at 3:15 on friday!"
    assert normalise("She lives at 14 Elm Road, LS6 2AB").text == "she lives at 14 elm road, ls6 2ab"
    assert normalise("Hello!!!!!").text == "hello!!!"
    assert normalise("I am a voter").text == "i am a voter"


def test_handles_and_urls_become_placeholders() -> None:
    assert normalise("@JaneMP see https://example.org/x").text == "@user see url"


def test_span_maps_back_to_what_was_typed() -> None:
    original = "I will k 1 l l you"
    result = normalise(original)
    start = result.text.index("kill")
    begin, end = result.original_span(start, start + 4)
    assert original[begin:end] == "k 1 l l"


@given(st.text(max_size=80))
def test_every_normalised_char_points_inside_the_original(text: str) -> None:
    result = normalise(text)
    assert len(result.starts) == len(result.ends) == len(result.text)
    for start, end in zip(result.starts, result.ends, strict=True):
        assert 0 <= start < end <= len(text)
    assert list(result.starts) == sorted(result.starts)


@given(st.text(max_size=80))
def test_normalising_twice_changes_nothing_more(text: str) -> None:
    once = normalise(text).text
    # A second pass may only re-read placeholders; it must not keep shrinking the text.
    assert normalise(once).text == normalise(normalise(once).text).text
