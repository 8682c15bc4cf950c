"""An explainable layer for explicit threats: a speaker, a future or modal, a physical harm, a person.

The model reads context and catches most threats, but a plain statement of intent can still score low
when the words around it read like politics ("after Tuesday's vote I'll cave your head in"). This
layer finds such statements in the normalised text and names their parts, so a flag it raises is
explained by construction. It only ever raises the threat score (`THREAT_FLOOR`), never lowers one.

It leaves alone what quotes or reports a threat (a match inside quotation marks, or a message with a
reporting word: "jailed", "told her", "reported"...) and figurative harm aimed at a result ("we'll
kill you at the ballot box"), since counter-speech, news and electoral metaphor must not be flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THREAT_FLOOR = 0.6  # over every shipped threat threshold; the calibrated score, when higher, stands

_SPEAKER = (
    r"(?:i(?:'?ll| will| am going to| am gonna|'?m (?:going to|gonna|gunna|coming to|comin to)|"
    r" swear i'?ll| want to| wanna| need to)|ill|im (?:going to|gonna|gunna)|imma|ima|"
    r"we(?:'?ll| will|'?re (?:going to|gonna)| are going to| want to| need to)|gonna|going to|gunna|"
    r"some(?:one|body) (?:should|needs to|ought to|has to|will)|"
    r"(?:you'?re|ur|you are) (?:going to|gonna) get)"
)
_PERSON = (
    r"(?:you|u|ya|ye|yer|your|ur|yir|thi|him|her|them|his|their|the (?:mp|councillor|cllr|candidate|mayor))"
)
# Harm that is physical whatever the context: an object that is a person or a body part.
_OBJECT = r"(?:you|u|ya|ye|him|her|them|thi|the (?:mp|councillor|cllr|candidate|mayor))"
# Harm to a body, a home or a life: physical whatever the words around it.
_BODILY = (
    rf"(?:(?:kick|cave|smash|punch|knock|bash|stove|boot|stamp) {_PERSON} (?:\w+ )?(?:head|face|teeth|skull|brains?)"
    rf"(?: in)?|(?:break|snap|smash) {_PERSON} (?:\w+ )?(?:legs?|arms?|neck|jaw|nose|fingers|knees?|kneecaps?)|"
    rf"slit {_PERSON} (?:\w+ )?throat|do {_OBJECT} in\b|"
    rf"(?:stab|shoot|knife|shank|chib|glass|strangle|behead|lynch|throttle|hospitalise|bottle) {_OBJECT}\b|"
    rf"(?:burn|torch|firebomb|petrol bomb) {_PERSON} (?:\w+ )?(?:house|home|office|car|place)|"
    rf"(?:put|stick) (?:a|one) (?:bullet|knife|blade) (?:in|through) {_PERSON})"
)
# Verbs that campaigns and sport also use of results ("we'll kill you at the polls", "batter you at the
# ballot box"): harm only when the rest of the sentence names no election, vote or career.
_VERBAL = rf"(?:kill|murder|hang|hurt|batter|leather|hammer|thrash) {_OBJECT}\b"
_FIGURATIVE = re.compile(
    r"\b(?:ballot|polls?|election|elections|count|debate|vote[sd]?|voters?|career|campaign|seat|majority|"
    r"politically|in may|on thursday|polling day|press|papers)\b"
)
_SENTENCE_END = re.compile(r"[.!?\n]")
_EXPLICIT = re.compile(rf"\b{_SPEAKER}\b(?: \w+){{0,4}}? (?:(?P<bodily>{_BODILY})|(?P<verbal>{_VERBAL}))")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<!\w)'[^']{6,}'(?!\w)")
_REPORTING = re.compile(
    r"\b(?:jailed|sentenced|charged|convicted|pleaded|admitted|guilty|court|trial|arrested|police|reported|"
    r"reporting|screenshot\w*|threatened to|told (?:her|him|them|the)|said (?:he|she|they)|wrote|posted that|"
    r"messages? (?:like|saying)|called (?:her|him)|quote\w*|replied)\b"
)


@dataclass(frozen=True)
class Intent:
    """Where in the normalised text an explicit threat was found, and its harm phrase."""

    start: int
    end: int
    harm: str


def explicit_threat(normalised: str) -> Intent | None:
    """The first explicit statement of intent to harm a person in `normalised`, or None."""
    if _REPORTING.search(normalised):
        return None
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(normalised)]
    for match in _EXPLICIT.finditer(normalised):
        if any(start <= match.start() < end for start, end in quoted):
            continue
        if match.group("verbal"):
            stop = _SENTENCE_END.search(normalised, match.end())
            if _FIGURATIVE.search(normalised, match.end(), stop.start() if stop else len(normalised)):
                continue
        return Intent(match.start(), match.end(), match.group("bodily") or match.group("verbal"))
    return None
