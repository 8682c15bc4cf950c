"""Democracy Club ids and the period of heightened protection: pure, no storage."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hustings.elections.model import (
    UK,
    ElectionDates,
    Phase,
    check_ballot_of,
    parse_dc_id,
    parse_election_id,
)
from hustings.errors import InvalidInput
from tests.elections.conftest import KELBRIDGE, KELBRIDGE_DATES


@pytest.mark.parametrize(
    "value",
    [
        "parl.2029-05-03",
        "local.kelbridge.2028-05-04",
        "sp.c.2026-05-07",
        "mayor.greater-manchester-ca.2028-05-04",
    ],
)
def test_democracy_club_election_ids_are_accepted(value: str) -> None:
    assert parse_election_id(value) == value


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("parl.2029-02-30", "2029-02-30"),
        ("Parl.2029-05-03", "not a Democracy Club id"),
        ("parl", "not a Democracy Club id"),
        ("parl.29-05-03", "not a Democracy Club id"),
        ("general.2029-05-03", "'general' is not an election type"),
        ("local.kel bridge.2028-05-04", "not a Democracy Club id"),
        ("local..kelbridge.2028-05-04", "not a Democracy Club id"),
        ("local.kelbridge-.2028-05-04", "not a Democracy Club id"),
    ],
)
def test_a_bad_id_is_refused_naming_the_field(value: str, said: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^election_id: .*{said}"):
        parse_election_id(value, "election_id")


def test_a_ballot_belongs_to_the_election_whose_stem_and_date_it_has() -> None:
    assert check_ballot_of("parl.2029-05-03", "parl.aldershot.2029-05-03") == "parl.aldershot.2029-05-03"
    assert check_ballot_of(KELBRIDGE, "local.kelbridge.st-annes.by.2028-05-04")
    for wrong in (
        "parl.aldershot.2029-05-04",  # another day
        "local.aldershot.2029-05-03",  # another type
        "parl.2029-05-03",  # the election itself
    ):
        with pytest.raises(InvalidInput, match=r"ballot_paper_id: .* is not a ballot of parl.2029-05-03"):
            check_ballot_of("parl.2029-05-03", wrong)
    with pytest.raises(InvalidInput, match=r"not a ballot of local.kelbridge"):
        check_ballot_of(KELBRIDGE, "local.kelbridgeshire.north.2028-05-04")


def test_the_period_runs_from_notice_to_the_end_of_the_nth_day_after_the_count_in_uk_time() -> None:
    dates = KELBRIDGE_DATES  # notice 27 March 2028 (BST began on the 26th), count 5 May, 14 days
    assert dates.period_start == datetime(2028, 3, 26, 23, 0, tzinfo=UTC)
    assert dates.period_end == datetime(2028, 5, 19, 23, 0, tzinfo=UTC)  # midnight ending 19 May, BST
    tick = timedelta(microseconds=1)
    assert not dates.in_period(dates.period_start - tick)
    assert dates.in_period(dates.period_start)
    assert dates.in_period(dates.period_end - tick)
    assert not dates.in_period(dates.period_end)
    assert dates.phase(dates.period_start - tick) is Phase.UPCOMING
    assert dates.phase(dates.period_start) is Phase.PROTECTED
    assert dates.phase(dates.period_end) is Phase.OVER


def test_a_winter_period_starts_at_midnight_gmt() -> None:
    dates = ElectionDates(date(2027, 1, 11), date(2027, 1, 19), date(2027, 2, 11), date(2027, 2, 11), 0)
    assert dates.period_start == datetime(2027, 1, 11, 0, 0, tzinfo=UTC)
    assert dates.period_end == datetime(2027, 2, 12, 0, 0, tzinfo=UTC)


@given(
    notice=st.dates(min_value=date(2025, 1, 1), max_value=date(2040, 12, 31)),
    to_poll=st.integers(min_value=0, max_value=60),
    to_count=st.integers(min_value=0, max_value=7),
    days=st.integers(min_value=0, max_value=180),
)
def test_every_day_of_the_period_is_in_it_and_the_days_either_side_are_not(
    notice: date, to_poll: int, to_count: int, days: int
) -> None:
    polling = notice + timedelta(days=to_poll)
    dates = ElectionDates(notice, notice, polling, polling + timedelta(days=to_count), days)
    last = dates.count_day + timedelta(days=days)

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=UK)

    for day in (notice, polling, dates.count_day, last):
        assert dates.in_period(at(day, 0)) and dates.in_period(at(day, 23))
    assert not dates.in_period(at(notice - timedelta(days=1), 23))
    assert not dates.in_period(at(last + timedelta(days=1), 0))


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        (
            {"polling_day": date(2028, 5, 5), "count_day": date(2028, 5, 5)},
            "polling_day: 2028-05-05 is not the date",
        ),
        (
            {"notice_of_election": date(2028, 4, 5)},
            "notice_of_election: must be on or before close_of_nominations",
        ),
        ({"close_of_nominations": date(2028, 5, 5)}, "close_of_nominations"),
        ({"count_day": date(2028, 5, 3)}, "count_day"),
        ({"count_day": date(2028, 5, 20)}, "count_day"),
        ({"protection_days": -1}, "protection_days"),
    ],
)
def test_dates_that_do_not_fit_are_refused_naming_the_field(changes: dict[str, object], said: str) -> None:
    from dataclasses import replace

    with pytest.raises(InvalidInput, match=rf"^{said}"):
        replace(KELBRIDGE_DATES, **changes).check(KELBRIDGE)  # type: ignore[arg-type]  # a test's mapping of fields


def test_an_id_is_parsed_into_its_parts() -> None:
    parsed = parse_dc_id("local.kelbridge.riverside.by.2028-05-04")
    assert (parsed.type, parsed.parts, parsed.date, parsed.stem) == (
        "local",
        ("kelbridge", "riverside", "by"),
        date(2028, 5, 4),
        "local.kelbridge.riverside.by",
    )


def test_the_domain_imports_neither_the_orm_nor_the_web_framework() -> None:
    import subprocess
    import sys

    modules = ["model", "events", "register", "service", "memory", "guidance"]
    code = (
        "import sys\n"
        + "".join(f"import hustings.elections.{m}\n" for m in modules)
        + "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'starlette') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
