"""Places: the country of a person targeted or of a message, and for the UK its nation.

UK-level figures (the Committee's recommendation 24) count by nation: England, Scotland, Wales,
Northern Ireland. A country is its ISO 3166-1 alpha-2 code (the UK is `GB`); a nation is
recorded only for the UK.
"""

from __future__ import annotations

import re
from enum import StrEnum

from hustings.errors import InvalidInput

UK = "GB"
NOT_RECORDED = "not_recorded"
UK_NATION_NOT_RECORDED = "united_kingdom"
"""The place of a UK target or message whose nation is not recorded."""
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class Nation(StrEnum):
    ENGLAND = "england"
    SCOTLAND = "scotland"
    WALES = "wales"
    NORTHERN_IRELAND = "northern_ireland"


def checked_place(
    country: str | None, nation: str | None, *, field: str = ""
) -> tuple[str | None, str | None]:
    """`(country, nation)` normalised (`gb` → `GB`, `Northern Ireland` → `northern_ireland`); a
    nation alone implies the UK. `InvalidInput` naming the field for an unknown code or nation, or
    a nation outside the UK."""
    prefix = f"{field}." if field else ""
    code = (country or "").strip().upper() or None
    if code == "UK":
        code = UK
    if code is not None and not _COUNTRY.match(code):
        raise InvalidInput(f"{prefix}country: {country!r} is not a two-letter ISO 3166 country code")
    named = (nation or "").strip().lower().replace(" ", "_").replace("-", "_") or None
    if named is None:
        return code, None
    if named not in {n.value for n in Nation}:
        raise InvalidInput(f"{prefix}nation: {nation!r} is not one of {', '.join(n.value for n in Nation)}")
    if code not in (None, UK):
        raise InvalidInput(f"{prefix}nation: a nation is recorded only for the UK (country {code})")
    return UK, named


def place_of(country: str | None, nation: str | None) -> str:
    """The label figures are counted under: the UK nation, `united_kingdom` for the UK without
    one, the country code in lower case elsewhere, `not_recorded` without a country."""
    if not country:
        return NOT_RECORDED
    if country == UK:
        return nation or UK_NATION_NOT_RECORDED
    return country.lower()
