"""The private-details register with no database: matching tolerant of obfuscation, no false
matches on unrelated text, redaction, and a service whose log never holds a detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hustings.auth.second_factor import SecretBox
from hustings.clock import FixedClock
from hustings.errors import InvalidInput, NotFound
from hustings.events import EventLog, InMemoryEventStore
from hustings.events.registry import default_reducers
from hustings.protection.private import (
    REGISTER,
    DetailKind,
    PrivateDetail,
    Register,
    match_key,
    redact,
)
from hustings.protection.private_memory import InMemoryPrivateDetailStore
from hustings.protection.private_service import PrivateDetails
from tests.conftest import T0


def register(*details: tuple[DetailKind, str]) -> Register:
    return Register(
        [PrivateDetail(f"pd_{i}", "tg_1", kind, value, T0) for i, (kind, value) in enumerate(details)]
    )


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        (DetailKind.HOME_ADDRESS, "12 Acacia Avenue", "she lives at 12 Acacia Av enue, go round"),
        (DetailKind.HOME_ADDRESS, "12 Acacia Avenue", "12 ACAC1A AVENUE is the place"),
        (DetailKind.HOME_ADDRESS, "12 Acacia Avenue", "try 12 a c a c i a avenue tonight"),
        (DetailKind.POSTCODE, "SW1A 1AA", "postcode sw1a1aa if you want it"),
        (DetailKind.POSTCODE, "sw1a1aa", "it is SW1A 1AA"),
        (DetailKind.PHONE, "+44 7700 900123", "ring her on 07700900123"),
        (DetailKind.PHONE, "07700 900123", "ring her on +44 7700 900 123 now"),
        (DetailKind.VEHICLE, "AB12 CDE", "her car is ab12cde, silver"),
        (DetailKind.SCHOOL, "St Anne's Primary", "her kids go to st annes primary"),
        (DetailKind.FAMILY_NAME, "Tomasz Raman", "say hi to T0masz Raman for me"),
    ],
)
def test_a_registered_detail_is_found_however_it_is_written(kind: DetailKind, value: str, text: str) -> None:
    (match,) = register((kind, value)).matches(text)
    assert match.kind == kind and match.detail_id == "pd_0"
    assert text[match.start : match.end].strip()


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        (DetailKind.HOME_ADDRESS, "12 Acacia Avenue", "112 Acacia Avenues are lovely"),
        (DetailKind.HOME_ADDRESS, "12 Acacia Avenue", "Your housing policy is a disgrace"),
        (DetailKind.FAMILY_NAME, "Anna Raman", "the planning committee's Joanna Ramanathan"),
        (DetailKind.POSTCODE, "SW1A 1AA", "the SW1A 1AB office"),
        (DetailKind.PHONE, "07700 900123", "reference 077009001234 on the form"),
        (DetailKind.VEHICLE, "AB12 CDE", "XAB12CDE"),
    ],
)
def test_unrelated_text_does_not_match(kind: DetailKind, value: str, text: str) -> None:
    assert register((kind, value)).matches(text) == []


def test_phone_numbers_compare_in_national_form() -> None:
    assert match_key(DetailKind.PHONE, "+44 (0)7700 900123") == "07700900123"
    assert match_key(DetailKind.PHONE, "+447700900123") == match_key(DetailKind.PHONE, "07700-900-123")


def test_redaction_removes_matched_details_postcodes_phones_and_evidence() -> None:
    reg = register((DetailKind.SCHOOL, "Kelbridge Academy"), (DetailKind.HOME_ADDRESS, "12 Acacia Avenue"))
    text = "Her kids are at Kelbridge Academy, she's at 12 Acac1a Av enue KB1 2XY, call 07700 900123. Mill Lane too"
    out = redact(text, register=reg, evidence=[(text.index("Mill Lane"), text.index("Mill Lane") + 9)])
    assert out == (
        "Her kids are at [school removed], she's at [address removed] [postcode removed], "
        "call [phone number removed]. [address removed] too"
    )
    assert redact("Your housing plan is weak") == "Your housing plan is weak"


def test_overlapping_spans_are_redacted_once() -> None:
    reg = register((DetailKind.HOME_ADDRESS, "12 Acacia Avenue KB1 2XY"))
    assert redact("go to 12 Acacia Avenue KB1 2XY now", register=reg) == "go to [address removed] now"


def test_too_short_or_wrong_details_are_refused_naming_the_field() -> None:
    service, _, _ = make_service()
    with pytest.raises(InvalidInput, match="value"):
        service.add("tg_1", DetailKind.FAMILY_NAME, "Al", actor="user:u_a")
    with pytest.raises(InvalidInput, match="10 or 11 digits"):
        service.add("tg_1", DetailKind.PHONE, "0770 0900", actor="user:u_a")
    with pytest.raises(NotFound):
        service.add("tg_nobody", DetailKind.SCHOOL, "Kelbridge Academy", actor="user:u_a")


class Desk:
    def __init__(self) -> None:
        self.filed: list[tuple[str, list[str], int]] = []

    def file_private_detail_report(
        self, message_id: str, *, kinds: list[str], model: str, clock_hours: int
    ) -> str | None:
        self.filed.append((message_id, list(kinds), clock_hours))
        return f"r_{message_id}"


def make_service(box: SecretBox | None = None) -> tuple[PrivateDetails, InMemoryPrivateDetailStore, Desk]:
    events = InMemoryEventStore()
    store = InMemoryPrivateDetailStore(events)
    store.add_target("tg_1")
    desk = Desk()
    service = PrivateDetails(
        store, EventLog(events, default_reducers()), FixedClock(T0), box or SecretBox("s" * 40), reports=desk
    )
    return service, store, desk


def test_details_are_sealed_and_the_log_names_only_their_kind() -> None:
    service, store, _ = make_service()
    detail_id = service.add("tg_1", DetailKind.SCHOOL, "Kelbridge Academy", actor="user:u_a")
    (row,) = store.all_sealed()
    assert "Kelbridge" not in row.sealed
    assert [d.value for d in service.details("tg_1")] == ["Kelbridge Academy"]
    logged = repr(store.events.events)
    assert "Kelbridge" not in logged and detail_id in logged and "school" in logged
    service.remove("tg_1", detail_id, actor="user:u_a")
    assert service.details("tg_1") == [] and store.all_sealed() == []
    status = store.status("tg_1")
    assert status is not None and status.subject_type == REGISTER and status.data["details"] == []


def test_rotating_the_key_reseals_every_detail() -> None:
    old = SecretBox("o" * 40)
    service, _, _ = make_service(old)
    service.add("tg_1", DetailKind.POSTCODE, "KB1 2XY", actor="user:u_a")
    service.box = SecretBox("n" * 40, previous=["o" * 40])
    assert service.reseal() == 1
    service.box = SecretBox("n" * 40)
    assert [d.value for d in service.details("tg_1")] == ["KB1 2XY"]


def test_masked_shows_little_of_the_detail() -> None:
    detail = PrivateDetail(
        "pd_1", "tg_1", DetailKind.HOME_ADDRESS, "12 Acacia Avenue", T0 - timedelta(days=1)
    )
    assert "Acacia" not in detail.masked and detail.masked.startswith("12")


@given(
    flips=st.lists(st.booleans(), min_size=16, max_size=16),
    split=st.integers(min_value=3, max_value=15),
    prefix=st.sampled_from(["", "she lives at ", "go to: ", "address -> "]),
)
def test_case_and_a_stray_space_never_hide_an_address(flips: list[bool], split: int, prefix: str) -> None:
    value = "12 Acacia Avenue"
    cased = "".join(ch.upper() if flip else ch.lower() for ch, flip in zip(value, flips, strict=True))
    written = cased[:split] + " " + cased[split:]
    matches = register((DetailKind.HOME_ADDRESS, value)).matches(prefix + written + " tonight")
    assert [m.kind for m in matches] == [DetailKind.HOME_ADDRESS]
    assert redact(prefix + written + " tonight", register=register((DetailKind.HOME_ADDRESS, value))) == (
        prefix + "[address removed] tonight"
    )
