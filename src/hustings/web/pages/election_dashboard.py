"""The election dashboard page: reports and incidents about the candidates day by day, by
candidate, party, ballot and label; who is under an open pile-on now; the team's priority lane,
its service levels met and missed; the platforms' response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hustings.auth.model import Principal
from hustings.elections.model import ELECTION_READERS
from hustings.transparency.charts import colour_for, horizontal_bars, weekly_stacked
from hustings.transparency.view import hours, pct
from hustings.web.deps import ServicesDep, allow
from hustings.web.templating import render

router = APIRouter(prefix="/elections", include_in_schema=False)
Reader = Annotated[Principal, Depends(allow(*ELECTION_READERS))]


@router.get("/{election_id}/dashboard")
def dashboard_page(election_id: str, principal: Reader, request: Request, services: ServicesDep) -> Response:
    election = services.elections.get(election_id)
    dashboard = services.election_dashboards.build(election, services.elections.nominations(election.id))
    response = services.platform_referrals.response(election_id=election.id)
    labels = sorted(dashboard.by_label)
    colours = colour_for(labels)
    return render(
        request,
        "dashboard/election.html",
        {
            "election": election,
            "phase": election.phase(services.clock.now()).value,
            "d": dashboard,
            "response": response.to_json(),
            "lane": services.teams.lane_figures(election.id),
            "colours": colours,
            "charts": {
                "days": weekly_stacked(
                    dashboard.days, colours, title="Reports each day, by label", unit="day"
                ),
                "labels": horizontal_bars(dict(dashboard.by_label), colours, title="Reports by label"),
                "parties": horizontal_bars(
                    {name: t.reports for name, t in dashboard.by_party.items()}, {}, title="Reports by party"
                ),
            },
            "pct": pct,
            "hours": hours,
        },
    )
