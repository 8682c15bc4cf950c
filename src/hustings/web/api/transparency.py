"""The transparency report as data: GET /v1/transparency (public: the figures are published)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from hustings.transparency.output import to_csv_text, to_json_text
from hustings.transparency.period import parse_period, period_between
from hustings.web.deps import PUBLIC, ServicesDep
from hustings.web.responses import CsvResponse

router = APIRouter(prefix="/v1/transparency", tags=["transparency"])
Public = Annotated[None, Depends(PUBLIC)]


@router.get("", responses={200: {"content": {CsvResponse.media_type: {"schema": {"type": "string"}}}}})
def transparency_report(
    _: Public,
    services: ServicesDep,
    period: Annotated[
        str | None, Query(description="2026-Q2, 2026-05, 2026 or 2026-04-01..2026-06-30")
    ] = None,
    start: Annotated[str | None, Query(alias="from", description="First day, YYYY-MM-DD")] = None,
    last: Annotated[str | None, Query(alias="to", description="Last day, YYYY-MM-DD (inclusive)")] = None,
    output: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Any:
    """The figures for a period (default: the current calendar quarter), as JSON or CSV."""
    chosen = (
        parse_period(period) if period else period_between(start, last, today=services.clock.now().date())
    )
    report = services.transparency.report(chosen)
    if output == "csv":
        return Response(
            to_csv_text(report),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="hustings-transparency-{chosen.slug}.csv"'
            },
        )
    return Response(to_json_text(report), media_type="application/json")
