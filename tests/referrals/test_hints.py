"""Offence hints and the urgent path: what a liaison officer is pointed to, and when to call 999."""

from __future__ import annotations

from datetime import UTC, datetime

from hustings.detect.assessment import Characteristic, Label
from hustings.referrals.content import ReportSummary
from hustings.referrals.hints import (
    CALL_999,
    DISCLAIMER,
    Finding,
    OffenceHint,
    assess_urgency,
    cps_checklist,
    offence_hints,
)
from tests.referrals.builders import assessment, author, item, message


def legislation(hints: list[OffenceHint]) -> list[str]:
    return [hint.legislation for hint in hints]


def test_a_threat_points_to_threatening_communications_and_the_older_offences() -> None:
    hints = offence_hints([item(message("1", "You will be hurt"), Label.THREAT)])
    found = legislation(hints)
    assert found[0] == "Online Safety Act 2023 s.181"
    assert "Malicious Communications Act 1988 s.1" in found
    assert "Communications Act 2003 s.127(1)" in found
    assert not any("Harassment" in name for name in found)


def test_repeated_messages_from_one_author_to_one_target_are_a_course_of_conduct() -> None:
    earlier = message("0", "you again", minutes=-60)
    hints = offence_hints([item(message("1", "you are vile"), Label.ABUSE, history=(earlier,))])
    (harassment,) = [h for h in hints if h.legislation.startswith("Protection from Harassment Act 1997 s.2")]
    assert set(harassment.message_ids) == {earlier.id, message("1", "").id}
    assert not any(h.legislation.endswith("s.4") for h in hints)


def test_two_threats_from_one_author_point_to_fear_of_violence() -> None:
    first = item(message("1", "I will hurt you"), Label.THREAT)
    second = item(message("2", "I will hurt you soon", minutes=5), Label.THREAT)
    assert "Protection from Harassment Act 1997 s.4" in legislation(offence_hints([first, second]))


def test_messages_from_different_authors_are_not_one_course_of_conduct() -> None:
    first = item(message("1", "idiot"), Label.ABUSE)
    second = item(message("2", "idiot", by=author("@someone_else", "a2")), Label.ABUSE)
    assert not any("Harassment" in h.offence for h in offence_hints([first, second]))


def test_identity_hate_points_to_stirring_up_hatred_and_names_the_part() -> None:
    hate = item(message("1", "go back to where you came from"), Label.IDENTITY_HATE)
    hate = type(hate)(
        message=hate.message,
        assessment=assessment(Label.IDENTITY_HATE, characteristic=Characteristic.RELIGION),
    )
    (hint,) = [h for h in offence_hints([hate]) if h.offence == "Stirring up hatred"]
    assert "Part 3A" in hint.legislation and "religion" in hint.why


def test_a_reporter_saying_false_points_to_false_communications() -> None:
    report = ReportSummary(datetime(2026, 5, 7, tzinfo=UTC), "user", "false_communication", True, "made up")
    hints = offence_hints([item(message("1", "she was arrested for fraud"), reports=(report,))])
    assert legislation(hints)[0] == "Online Safety Act 2023 s.179"


def test_a_candidate_target_adds_the_electoral_disqualification_hint_only_when_something_applies() -> None:
    assert "Elections Act 2022 Part 5" in legislation(
        offence_hints([item(message("1", "x"), Label.THREAT)], target_roles=["candidate"])
    )
    assert (
        offence_hints([item(message("1", "I disagree with your policy"))], target_roles=["candidate"]) == []
    )


def test_the_checklist_follows_the_cps_guidance_and_says_what_was_found() -> None:
    checklist = cps_checklist([item(message("1", "I will hurt you"), Label.THREAT)])
    assert len(checklist) == 5
    assert checklist[0].finding is Finding.YES and "threat" in checklist[0].question
    assert checklist[2].finding is Finding.CHECK
    assert "not legal advice" in DISCLAIMER


def test_a_threat_with_a_time_or_place_is_urgent_with_999_guidance() -> None:
    urgency = assess_urgency(
        [item(message("1", "I'll be waiting outside your office tonight"), Label.THREAT)]
    )
    assert urgency.urgent and urgency.guidance == CALL_999
    assert "tonight" in urgency.reasons[0] and "outside your office" in urgency.reasons[0]


def test_a_threat_without_time_or_place_is_not_urgent() -> None:
    assert not assess_urgency([item(message("1", "you deserve to be hurt"), Label.THREAT)]).urgent


def test_a_disclosed_address_with_intent_is_urgent_even_without_a_threat_flag() -> None:
    text = "She lives at 14 Mill Lane, FN3 4QT. Let's pay her a visit"
    urgency = assess_urgency([item(message("1", text))])
    assert urgency.urgent
    assert "FN3 4QT" in urgency.reasons[0] or "Mill Lane" in urgency.reasons[0]


def test_an_address_alone_or_criticism_is_not_urgent() -> None:
    assert not assess_urgency(
        [item(message("1", "Her constituency office is at 14 Mill Lane, FN3 4QT"))]
    ).urgent
    assert not assess_urgency(
        [item(message("2", "Your housing policy is a disgrace; resign on Friday"))]
    ).urgent
