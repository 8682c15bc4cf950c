"""The explainable layer for explicit threats (hustings/detect/intent.py).

It must find plain statements of intent to harm a person, whatever the political words around them,
and leave alone electoral metaphor, quoted and reported threats, and harm to a career or a vote.
"""

from __future__ import annotations

import pytest

from hustings.detect import Label, OnnxDetector
from hustings.detect.intent import THREAT_FLOOR, explicit_threat
from hustings.detect.normalise import normalise

THREATS = [
    ("Come to Westminster after Tuesday's vote and I'll cave your head in", "cave your head in"),
    ("gonna smash ur face in next time i see u at the market", "smash ur face in"),
    ("i swear ill glass u", "glass u"),
    ("someone should shoot him", "shoot him"),
    ("I'm going to burn your house down", "burn your house"),
    ("ill do u in m8", "do u in"),
    ("I will kill you. Watch.", "kill you"),
    ("we're gonna batter you, see you outside the surgery", "batter you"),
]
LEFT_ALONE = [
    "we'll kill you at the ballot box",
    "we're gonna absolutely batter you at the ballot box in May",
    "I'll end your career at the next election",
    "I will do your casework tomorrow",
    'A man who told her "I\'ll stab you" was jailed for 18 months',
    "Someone replied 'I'm going to smash your face in' under her post. Reported.",
    "we will hurt you where it matters, at the polls",
    "I could kill him for that speech",
    "This bill will kill the high street",
]


@pytest.mark.parametrize(("text", "harm"), THREATS)
def test_explicit_threats_are_found_with_their_harm(text: str, harm: str) -> None:
    found = explicit_threat(normalise(text).text)
    assert found is not None and found.harm == harm


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_metaphor_quotes_reports_and_careers_are_left_alone(text: str) -> None:
    assert explicit_threat(normalise(text).text) is None


def test_the_layer_raises_the_threat_score_and_explains_the_flag(detector: OnnxDetector) -> None:
    text = THREATS[0][0]
    (assessment,) = detector.assess([text])
    assert assessment.labels[Label.THREAT] >= THREAT_FLOOR
    assert Label.THREAT in assessment.flagged
    first = next(e for e in assessment.evidence if e.label is Label.THREAT)
    assert "explicit intent" in first.reason and text[first.start : first.end].endswith("cave your head in")
