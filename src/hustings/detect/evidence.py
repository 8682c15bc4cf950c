"""Find the spans that explain a flag, with a short reason a moderator can read.

The model scores the whole message; these cue patterns point at the words a
moderator should look at first. They run on the normalised text (so "k1ll"
and "k i l l" are found) and spans are mapped back to the original offsets.
When no cue matches, the evidence is the whole message with the score.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from hustings.detect.assessment import Evidence, Label
from hustings.detect.intent import explicit_threat
from hustings.detect.normalise import Normalised

_CUES: dict[Label, tuple[tuple[str, str], ...]] = {
    Label.THREAT: (
        (
            r"\b(?:kill|killing|murder|stab|stabbed|shoot|shot|hang|hanged|hanging|behead|strangle|burn|burned|"
            r"bomb|firebomb|bullet|knife|blade|gun|rope|noose|axe|acid|petrol|hammer|coffin|skull|grave|dead|"
            r"die|death|hurt|suffer|smash your|break your|cut you|end you|sort you out)\b",
            "violent language",
        ),
        # British and Irish idiom and text-speak for violence (issue 12's misses).
        (
            r"\b(?:batter\w*|glass(?:ed)?|leather(?:ed)?|malky|chib\w*|shank\w*|unalive\w*|do (?:you|u|ye|thi) in|"
            r"(?:kick|cave|smash|punch|knock|bash|stove) (?:your|ur|yer|yir|thi|his|her) (?:\w+ )?(?:head|face|teeth) in|"
            r"(?:you'?re|ur|yer|you are) (?:a )?dead(?: man| woman)?|wet (?:you|u) up|have (?:you|u) done in)\b",
            "violent language",
        ),
        (
            r"\bwatch (?:your|ur) back\b|\blooking over your shoulder\b|\bsleep with one eye open\b",
            "veiled threat",
        ),
        (
            r"\b(?:end up|go(?:ing)? the same way) (?:like|as) jo cox\b|\bjo cox\b|\bdavid amess\b",
            "invokes a murdered MP",
        ),
        (
            r"\b(?:find|get|catch|visit) you\b(?: (?:at|outside) your \w+(?: on \w+)?)?|\b(?:at|outside|near) your (?:surgery|office|house|home|"
            r"door|school|hustings|constituency office)\b",
            "names where the target will be",
        ),
        (
            r"\bknow where you live\b|\bwe know (?:where|which|your)\b|\bsee you (?:at|tonight|soon)\b[^.!?]*|"
            r"\bwaiting (?:outside|for you)\b[^.!?]*",
            "says they will be where the target is",
        ),
        (
            r"\b(?:what'?s coming|days are numbered|final warning|last warning|been warned|you'?ll be next|"
            r"you'?ll be sorry|regret it|see what happens|won'?t make it home|shame if|tick,? tock|accidents happen|"
            r"long memor(?:y|ies)|dark nights?|brakes|nice (?:house|family|kids)|be careful)\b",
            "menacing warning",
        ),
        (
            r"\b(?:lamppost|string (?:\w+ )?up|hunt (?:you|them) down|teach you a lesson|someone should|somebody should|"
            r"real patriots?|take matters into (?:our|their) own hands|pay (?:him|her|them) a visit)\b",
            "incitement to harm",
        ),
        (r"\bif you\b[^.!?]{0,60}", "conditional threat"),
    ),
    Label.SEXUAL_HARASSMENT: (
        (
            r"\b(?:rape|raped|raping|rapist|grope|molest|nudes|naked|tits|knickers|arse|wank\w*|cum|dick|"
            r"suck my|on your knees|bend you over|in bed|seeing-to|sit on my face|tied up|sex|undress\w*|nudify\w*|"
            r"deep ?fakes?|fake nudes|intimate (?:images?|photos?|pics?))\b",
            "sexual content aimed at the target",
        ),
    ),
    Label.IDENTITY_HATE: (
        (
            r"\b(?:nigg\w*|paki\w*|coons?|wogs?|chinks?|spics?|gyppo\w*|ragheads?|muzrats?|kikes?|towelheads?|"
            r"fag\w*|dykes?|poofs?|homos?|trann\w*|troons?|shemales?|retard\w*|spastics?|mongs?|spaz|cripples?|"
            r"slags?|whores?|sluts?)\b",
            "slur",
        ),
        (
            r"\b(?:vermin|parasites?|subhuman|animals|cockroach\w*|savages|plague|disease|cancer|filth|rats|"
            r"scum|inferior)\b",
            "dehumanising language",
        ),
        (
            r"\b(?:go back to|send (?:her|him|them) back|deport\w*|your kind|all (?:the )?same|"
            r"don'?t belong|know your place|get back in the kitchen)\b[^.!?]{0,30}",
            "exclusion by identity",
        ),
        (
            r"\b(?:black|asian|brown|chinese|muslims?|islam\w*|jews?|jewish|hindus?|sikhs?|catholics?|women|woman|"
            r"females?|gay|lesbians?|bisexuals?|queer|trans|non-binary|disabled|autistic|immigrants?|refugees?|"
            r"migrants?|foreigners?|poles|romanians?|nigerians?|pakistanis?|travellers?|gypsies)\b",
            "names a protected group",
        ),
    ),
    Label.ABUSE: (
        (
            r"\b(?:idiot|moron|cretin|imbecile|scum\w*|cunt|twat|wanker|prick|dickhead|bellend|bitch|worm|rat|"
            r"parasite|coward|slob|creep|freak|hag|snake|degenerate|clown|filth|garbage|trash|waste of "
            r"(?:space|oxygen)|piece of \w+|sack of \w+|excuse for a human\w*|pathetic|disgusting|vile|ugly|fat|"
            r"repulsive|worthless|useless lump|thick|braindead|brain-dead|fuck\w*|shit\w*)\b",
            "insult",
        ),
        (
            r"\b(?:shut up|fuck off|go die|crawl back|nobody (?:likes|would miss) you|eat shit)\b",
            "hostile address",
        ),
    ),
    Label.DOXXING: (
        (r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", "postcode"),
        (
            r"\b\d{1,4}\s+[a-z]+(?:\s[a-z]+)?\s(?:road|rd|street|st|lane|close|avenue|ave|drive|way|grove|"
            r"crescent|gardens|terrace|place|court)\b",
            "street address",
        ),
        (r"\b(?:lives? at|home address|address|house is|lives off|followed \w+ home)\b", "where they live"),
        (r"\b(?:\+44\s?|0)7\d{3}\s?\d{6}\b|\bmobile is\b|\bpersonal number\b", "phone number"),
        (
            r"\b[a-z']+(?:\s[a-z']+)?\s(?:primary|academy|juniors|high|school)\b|\bpick-?up\b|\bschool\b",
            "a child's school",
        ),
        (
            r"\bevery (?:morning|night|evening|day)\b[^.!?]{0,40}|\bat \d{1,2}(?::\d{2})?\s?(?:am|pm)?\b|"
            r"\balone\b|\bon (?:his|her) own\b|\bcar reg\b[^.!?]{0,12}",
            "daily movements",
        ),
        (
            r"\b(?:post|share|spread|publish)\w*\b[^.!?]{0,30}\b(?:address|number|online|everyone|far and wide)\b",
            "threat to publish private details",
        ),
    ),
}
_COMPILED: dict[Label, tuple[tuple[re.Pattern[str], str], ...]] = {
    label: tuple((re.compile(pattern), reason) for pattern, reason in cues) for label, cues in _CUES.items()
}
_MAX_SPANS = 3


def find_evidence(
    original: str, normalised: Normalised, flagged: tuple[Label, ...], probabilities: Mapping[Label, float]
) -> tuple[Evidence, ...]:
    """Evidence for each flagged label: up to three cue spans, else the whole message."""
    found: list[Evidence] = []
    for label in flagged:
        spans: list[Evidence] = []
        taken: list[tuple[int, int]] = []
        intent = explicit_threat(normalised.text) if label is Label.THREAT else None
        if intent is not None:
            start, end = normalised.original_span(intent.start, intent.end)
            taken.append((start, end))
            reason = f"explicit intent to harm (speaker, future or modal, harm, person): {intent.harm!r}"
            spans.append(Evidence(label, start, end, original[start:end], reason[:120]))
        for pattern, reason in _COMPILED[label]:
            for match in pattern.finditer(normalised.text):
                start, end = normalised.original_span(match.start(), match.end())
                if any(start < e and s < end for s, e in taken):
                    continue
                text = original[start:end]
                if not text.strip():
                    continue
                taken.append((start, end))
                spans.append(Evidence(label, start, end, text, f"{reason}: {text.strip()!r}"[:120]))
                if len(spans) >= _MAX_SPANS:
                    break
            if len(spans) >= _MAX_SPANS:
                break
        if not spans and original.strip():
            start = len(original) - len(original.lstrip())
            end = len(original.rstrip())
            reason = f"whole message scored {probabilities[label]:.2f} for {label.value}; no single phrase stood out"
            spans.append(Evidence(label, start, end, original[start:end], reason))
        found.extend(sorted(spans, key=lambda e: e.start))
    return tuple(found)
