"""Query parameters shared by several routes, each with bounds, so an out-of-range value is a 422
naming it rather than an integer overflow in the database."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 1_000_000
"""The deepest page any list is read from; deeper than this, narrow the query instead."""

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many entries to skip.")]
