"""Offence hints and the urgent path: decision support for a police liaison, not legal advice.

Hints link what the detector and reporters found to the offences a UK officer would consider.
They never say an offence was committed: whether one was is for the police and the CPS.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from hustings.detect.assessment import Characteristic, Label
from hustings.referrals.content import PackMessage

DISCLAIMER = (
    "Decision support, not legal advice. These hints link what was found to offences an officer "
    "may wish to consider; whether any offence was committed is for the police and the Crown "
    "Prosecution Service to decide."
)
CALL_999 = "Call 999 if there is an immediate risk to anyone's life or safety. Do not wait for this pack."

FALSE_CATEGORIES = frozenset({"false_communication", "false", "disinformation", "false_information"})


@dataclass(frozen=True, slots=True)
class OffenceHint:
    """One offence worth considering, why, and on which messages."""

    offence: str
    legislation: str
    why: str
    message_ids: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "offence": self.offence,
            "legislation": self.legislation,
            "why": self.why,
            "message_ids": list(self.message_ids),
        }


class Finding(StrEnum):
    YES = "yes"
    POSSIBLE = "possible"
    NOT_FOUND = "not found"
    CHECK = "officer to check"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One question from the CPS guidance on social media communications, with what we found."""

    question: str
    finding: Finding
    grounds: str

    def to_json(self) -> dict[str, str]:
        return {"question": self.question, "finding": self.finding.value, "grounds": self.grounds}


@dataclass(frozen=True, slots=True)
class Urgency:
    """Whether a referral needs immediate action, and why."""

    urgent: bool
    reasons: tuple[str, ...]

    @property
    def guidance(self) -> str:
        return CALL_999 if self.urgent else ""

    def to_json(self) -> dict[str, object]:
        return {"urgent": self.urgent, "reasons": list(self.reasons), "guidance": self.guidance}


def _has(item: PackMessage, label: Label) -> bool:
    return item.assessment is not None and label in item.assessment.flagged


def _ids(items: Sequence[PackMessage]) -> tuple[str, ...]:
    return tuple(item.message.id for item in items)


def courses_of_conduct(messages: Sequence[PackMessage]) -> dict[tuple[str, str], list[str]]:
    """(author, target) pairs with two or more messages, counting the author's history too.

    Harassment needs a course of conduct: conduct on at least two occasions (PHA 1997 s.7(3)).
    """
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for item in messages:
        for target_id in item.message.target_ids:
            key = (item.message.author.key, target_id)
            seen[key].add(item.message.id)
            seen[key].update(m.id for m in item.author_history if target_id in m.target_ids)
    return {key: sorted(ids) for key, ids in seen.items() if len(ids) >= 2}


def _threats_by_pair(messages: Sequence[PackMessage]) -> dict[tuple[str, str], set[str]]:
    threats: dict[tuple[str, str], set[str]] = defaultdict(set)
    for item in messages:
        if _has(item, Label.THREAT):
            for target_id in item.message.target_ids:
                threats[(item.message.author.key, target_id)].add(item.message.id)
    return threats


def offence_hints(messages: Sequence[PackMessage], *, target_roles: Sequence[str] = ()) -> list[OffenceHint]:
    """The offences worth considering for these messages, most serious first."""
    hints: list[OffenceHint] = []
    threats = [m for m in messages if _has(m, Label.THREAT)]
    offensive = [
        m
        for m in messages
        if _has(m, Label.ABUSE) or _has(m, Label.SEXUAL_HARASSMENT) or _has(m, Label.IDENTITY_HATE)
    ]
    false = [m for m in messages if any(r.category in FALSE_CATEGORIES for r in m.reports)]
    if threats:
        hints.append(
            OffenceHint(
                "Threatening communications",
                "Online Safety Act 2023 s.181",
                "The detector found a threat. The offence covers a message conveying a threat of death "
                "or serious harm, sent intending the recipient to fear it would be carried out, or "
                "reckless as to that.",
                _ids(threats),
            )
        )
    courses = courses_of_conduct(messages)
    if courses:
        pair_threats = _threats_by_pair(messages)
        involved = tuple(sorted({mid for ids in courses.values() for mid in ids}))
        described = "; ".join(
            f"{len(ids)} messages from {author}" for (author, _), ids in sorted(courses.items())
        )
        hints.append(
            OffenceHint(
                "Harassment (course of conduct)",
                "Protection from Harassment Act 1997 s.2",
                f"One author sent repeated messages to one target ({described}). Harassment needs a course "
                "of conduct on at least two occasions that the sender knows or ought to know amounts to "
                "harassment.",
                involved,
            )
        )
        fear = sorted(
            {mid for pair, ids in pair_threats.items() if pair in courses and len(ids) >= 2 for mid in ids}
        )
        if fear:
            hints.append(
                OffenceHint(
                    "Putting people in fear of violence",
                    "Protection from Harassment Act 1997 s.4",
                    "At least two threatening messages from one author to one target: a course of conduct "
                    "causing the target to fear, on at least two occasions, that violence will be used.",
                    tuple(fear),
                )
            )
    if threats or offensive:
        hints.append(
            OffenceHint(
                "Sending a communication with intent to cause distress or anxiety",
                "Malicious Communications Act 1988 s.1",
                "An indecent or grossly offensive message, or a threat, sent to cause distress or anxiety "
                "to the recipient. (In England and Wales the threat and false-information limbs now sit in "
                "the Online Safety Act 2023 ss.179 and 181.)",
                _ids([*threats, *[m for m in offensive if m not in threats]]),
            )
        )
        hints.append(
            OffenceHint(
                "Improper use of a public electronic communications network",
                "Communications Act 2003 s.127(1)",
                "A message that is grossly offensive or of an indecent, obscene or menacing character, sent "
                "over a public electronic communications network. The threshold for 'grossly offensive' is "
                "high: see the CPS checklist below.",
                _ids([*threats, *[m for m in offensive if m not in threats]]),
            )
        )
    hate = [m for m in messages if _has(m, Label.IDENTITY_HATE)]
    if hate:
        characteristics = sorted(
            {m.assessment.characteristic.value for m in hate if m.assessment and m.assessment.characteristic}
        )
        part = "Part 3 (racial hatred)"
        if any(c in {Characteristic.RELIGION, Characteristic.SEXUAL_ORIENTATION} for c in characteristics):
            part = "Part 3 (racial hatred) or Part 3A (religious or sexual orientation hatred)"
        hints.append(
            OffenceHint(
                "Stirring up hatred",
                f"Public Order Act 1986 {part}",
                "Identity hate was found"
                + (f" (aimed at {', '.join(characteristics)})" if characteristics else "")
                + ". Consider whether the material is threatening, abusive or insulting and intended or "
                "likely to stir up hatred; otherwise, hostility on a protected characteristic may "
                "aggravate another offence (Sentencing Act 2020 s.66).",
                _ids(hate),
            )
        )
    if false:
        hints.append(
            OffenceHint(
                "Sending a false communication",
                "Online Safety Act 2023 s.179",
                "A reporter said this is false information. The offence needs a message the sender knew to "
                "be false, sent intending non-trivial psychological or physical harm to a likely audience, "
                "without reasonable excuse.",
                _ids(false),
            )
        )
    if hints and any(role in {"candidate", "mp", "councillor", "mayor"} for role in target_roles):
        hints.append(
            OffenceHint(
                "Intimidation of a candidate or elected office-holder",
                "Elections Act 2022 Part 5",
                "The target is a candidate or elected office-holder. On conviction for an offence involving "
                "their intimidation, a court may make an electoral disqualification order.",
                _ids(messages),
            )
        )
    return hints


def cps_checklist(messages: Sequence[PackMessage]) -> list[ChecklistItem]:
    """The CPS guidance on social media communications, as questions with what was found."""
    threats = [m for m in messages if _has(m, Label.THREAT)]
    doxxing = [m for m in messages if _has(m, Label.DOXXING)]
    offensive = [
        m
        for m in messages
        if _has(m, Label.ABUSE) or _has(m, Label.SEXUAL_HARASSMENT) or _has(m, Label.IDENTITY_HATE)
    ]
    courses = courses_of_conduct(messages)
    return [
        ChecklistItem(
            "1. Is there a credible threat of violence to the person or damage to property?",
            Finding.YES if threats else Finding.NOT_FOUND,
            f"threat flagged on {len(threats)} message(s)" if threats else "no threat flagged",
        ),
        ChecklistItem(
            "2. Does it specifically target an individual (harassment, stalking, disclosing personal details)?",
            Finding.YES if courses or doxxing else (Finding.POSSIBLE if messages else Finding.NOT_FOUND),
            (
                f"{len(courses)} author-target course(s) of conduct; personal details flagged on {len(doxxing)} message(s)"
                if courses or doxxing
                else "addressed to a protected person, but no repeated conduct or disclosure found"
            ),
        ),
        ChecklistItem(
            "3. Does it breach a court order or a statutory prohibition (e.g. identifying a protected victim)?",
            Finding.CHECK,
            "not something Hustings can know: check orders in force against the author",
        ),
        ChecklistItem(
            "4. Is it grossly offensive, indecent, obscene or false, above the high threshold the guidance sets?",
            Finding.POSSIBLE if offensive else Finding.NOT_FOUND,
            (
                f"abuse, sexual harassment or identity hate flagged on {len(offensive)} message(s); weigh context, "
                "the intended audience, and Article 10 ECHR (people in public life must tolerate robust criticism, "
                "not threats)"
                if offensive
                else "nothing flagged in these categories"
            ),
        ),
        ChecklistItem(
            "5. Is a prosecution required in the public interest?",
            Finding.CHECK,
            "consider the author's age and maturity, whether they removed the content or showed remorse, "
            "and the impact on the target and on democratic participation",
        ),
    ]


# The urgent path is deliberately generous: a false alarm costs a phone call, a miss may cost a life.
_TIME = re.compile(
    r"\b(tonight|tomorrow|today|this (?:morning|afternoon|evening|weekend)|next week|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|midnight|noon|"
    r"at \d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?|\d{1,2}(?:[:.]\d{2})\s*(?:am|pm)?|\d{1,2}\s*(?:am|pm))\b",
    re.IGNORECASE,
)
_PLACE = re.compile(
    r"\b(?:at|outside|near|in front of|round|around|by|to) (?:your|the|her|his|their) "
    r"(?:house|home|flat|office|surgery|door|front door|school|kids'? school|car|work|workplace|count|"
    r"polling station|hustings|meeting|constituency office|street|church|mosque|synagogue|gurdwara|temple)\b|"
    r"\bi know where you live\b",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b|"  # a UK postcode
    r"\b\d{1,4}[a-z]?,? [A-Za-z][A-Za-z' -]{1,40} (?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|"
    r"Crescent|Gardens|Terrace|Place|Grove|Court|Square|Hill|Row|Mews)\b",
)
_INTENT = re.compile(
    r"\b(?:i will|i'll|we will|we'll|gonna|going to|coming for|coming to|pay (?:you|her|him|them) a visit|"
    r"see you (?:there|soon)|pop round|wait for you|find you|get you|let's visit|go round)\b",
    re.IGNORECASE,
)


def assess_urgency(messages: Sequence[PackMessage]) -> Urgency:
    """Urgent when a threat names a time or place, or a disclosed address is joined with intent."""
    reasons: list[str] = []
    for item in messages:
        text = item.message.text
        threat = _has(item, Label.THREAT)
        when = _TIME.search(text)
        where = _PLACE.search(text)
        address = _ADDRESS.search(text)
        disclosed = _has(item, Label.DOXXING) or address is not None
        intent = _INTENT.search(text)
        short = item.message.id
        if threat and (when or where):
            named = []
            if when:
                named.append(f"time '{when.group(0)}'")
            if where:
                named.append(f"place '{where.group(0)}'")
            reasons.append(f"{short}: a threat with a {' and a '.join(named)}")
        elif disclosed and (threat or intent):
            joined = "a threat" if threat else f"intent ('{intent.group(0) if intent else ''}')"
            what = f"address '{address.group(0)}'" if address else "personal details"
            reasons.append(f"{short}: disclosed {what} joined with {joined}")
    return Urgency(urgent=bool(reasons), reasons=tuple(reasons))
