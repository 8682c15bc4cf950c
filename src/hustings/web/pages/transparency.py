"""The public transparency report page, with its CSV and JSON downloads. No login needed."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from hustings.auth.model import ALL_ROLES
from hustings.transparency.output import to_csv_text, to_json_text
from hustings.transparency.period import Period, parse_period, period_between, quarter_of
from hustings.transparency.view import report_context
from hustings.web.deps import PUBLIC, ServicesDep
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/transparency", include_in_schema=False)
Public = Annotated[None, Depends(PUBLIC)]
NAV = [NavItem("Transparency", "/transparency", frozenset(ALL_ROLES), order=80)]
Format = Literal["html", "json", "csv"]


def _respond(
    request: Request, services: ServicesDep, period: Period, output: Format, download_base: str
) -> Response:
    report = services.transparency.report(period)
    name = f"hustings-transparency-{period.slug}"
    if output == "json":
        return Response(
            to_json_text(report),
            media_type="application/json",
            headers={"content-disposition": f'attachment; filename="{name}.json"'},
        )
    if output == "csv":
        return Response(
            to_csv_text(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    quarter = quarter_of(period.start)
    previous = quarter_of(quarter.start - timedelta(days=1))
    following = quarter_of(quarter.last + timedelta(days=1))
    today = services.clock.now().date()
    empty = not (
        report.reports_received
        or sum(report.decisions_by_action.values())
        or report.appeals_filed
        or report.referrals_created
        or (report.platform_response is not None and report.platform_response.overall.sent)
    )
    context = report_context(report) | {
        "previous": previous.slug,
        # The links stop at the quarter under way: a future quarter has no figures to show.
        "following": following.slug if following.start <= today else None,
        "current": quarter_of(today).slug,
        "empty": empty,
        "download_base": download_base,
    }
    return render(request, "transparency/page.html", context)


@router.get("")
def transparency_page(
    _: Public,
    request: Request,
    services: ServicesDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
    output: Annotated[Format, Query(alias="format")] = "html",
) -> Response:
    """This quarter's report, or the one for ?from=&to=."""
    period = period_between(start, last, today=services.clock.now().date())
    base = f"/transparency?from={period.start.isoformat()}&to={period.last.isoformat()}&"
    return _respond(request, services, period, output, base)


@router.get("/{period}")
def transparency_period_page(
    _: Public,
    period: str,
    request: Request,
    services: ServicesDep,
    output: Annotated[Format, Query(alias="format")] = "html",
) -> Response:
    """The report for a named period: 2026-Q2, 2026-05, 2026 or 2026-04-01..2026-06-30."""
    chosen = parse_period(period)
    return _respond(request, services, chosen, output, f"/transparency/{chosen.slug}?")
