"""Complaint pages: the public form (no account needed), the party team's list and case page
(acknowledge, assess, assign, objections, communications, referral to the joint panel, every
step), break glass, the oversight report of who outside the case team looked at what, the audit
sample with its findings, a case's JSON export, the joint panel's list, the quarterly figures
with charts (and CSV), and the confidence survey a party answers from its one-time link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from hustings.auth.login import form_token, form_token_matches, new_form_nonce
from hustings.auth.model import Principal, Role
from hustings.complaints.figures import Quarter
from hustings.complaints.model import (
    COMPLAINT_READERS,
    JOINT_READERS,
    OVERSIGHT_ROLES,
    RAISERS,
    Assessment,
    AuditView,
    BreakGlassRequired,
    Case,
    CaseState,
    Complainant,
    Grounds,
    NewComplaint,
    Recipient,
    Severity,
    Source,
    TeamRole,
    Viewer,
    Where,
)
from hustings.errors import HustingsError, InvalidInput, NotFound
from hustings.events import SYSTEM_ACTOR, user_actor
from hustings.services import Services
from hustings.storage.database import savepoint
from hustings.transparency.charts import colour_for, horizontal_bars
from hustings.web.api.complaints import figures_csv, viewer_of
from hustings.web.deps import CSRF_REFUSED, PUBLIC, ServicesDep, allow, writes_on_read
from hustings.web.flash import flash, read_flash
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/complaints", include_in_schema=False)
Public = Annotated[None, Depends(PUBLIC)]
Reader = Annotated[Principal, Depends(allow(*COMPLAINT_READERS))]
Overseer = Annotated[Principal, Depends(allow(*OVERSIGHT_ROLES))]
JointReader = Annotated[Principal, Depends(allow(*JOINT_READERS))]
NAV = [
    NavItem("Complaints", "/complaints", COMPLAINT_READERS, order=60),
    NavItem("Oversight", "/complaints/oversight", OVERSIGHT_ROLES, order=61),
    NavItem("Audit sample", "/complaints/audit", OVERSIGHT_ROLES, order=62),
    NavItem("Joint panel", "/complaints/joint", JOINT_READERS, order=63),
    NavItem("Complaint figures", "/complaints/figures", COMPLAINT_READERS, order=64),
]
FORM_COOKIE = "hustings_complaint_form"
"""The public form's CSRF nonce; the form carries its signature (as the login form does)."""
Long = Annotated[str, Form(max_length=20_000)]
Short = Annotated[str, Form(max_length=200)]


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _clauses(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace(",", " ").split() if part.strip())


# ---------------------------------------------------------------- the public form


def _public_form(
    request: Request, services: Services, context: dict[str, object], status_code: int = 200
) -> Response:
    secret = services.settings.secret_key.get_secret_value()
    nonce = request.cookies.get(FORM_COOKIE, "")
    fresh = not 16 <= len(nonce) <= 64
    if fresh:
        nonce = new_form_nonce()
    response = render(
        request,
        "complaints/new.html",
        {"code": services.complaints.code, **context, "csrf_token": form_token(secret, nonce)},
        status_code=status_code,
    )
    if fresh:
        response.set_cookie(
            FORM_COOKIE,
            nonce,
            path="/complaints/new",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


@router.get("/new")
def new_complaint_page(_: Public, request: Request, services: ServicesDep) -> Response:
    return _public_form(request, services, {"error": "", "values": {}})


@router.post("/new")
def file_complaint(
    _: Public,
    request: Request,
    services: ServicesDep,
    party: Short = "",
    category: Short = "",
    characteristic: Short = "",
    what: Long = "",
    where: Short = "online",
    links: Long = "",
    place: Short = "",
    when: Short = "",
    anonymous: Short = "",
    name: Short = "",
    email: Short = "",
    phone: Short = "",
    respondent_member: Short = "",
    health: Long = "",
    csrf_token: Short = "",
) -> Response:
    values = {
        "health": health,
        "party": party,
        "category": category,
        "characteristic": characteristic,
        "what": what,
        "where": where,
        "links": links,
        "place": place,
        "when": when,
        "name": name,
        "email": email,
        "phone": phone,
        "respondent_member": respondent_member,
        "anonymous": anonymous,
    }
    secret = services.settings.secret_key.get_secret_value()
    if not form_token_matches(secret, request.cookies.get(FORM_COOKIE), csrf_token):
        return _public_form(request, services, {"error": CSRF_REFUSED, "values": values}, status_code=403)
    try:
        with savepoint(services.session):
            if not anonymous and not name.strip():
                raise InvalidInput("name: give your name, or tick 'I want to stay anonymous'")
            try:
                happened = date.fromisoformat(when) if when else None
            except ValueError:
                raise InvalidInput(f"when: {when!r} is not a date") from None
            case = services.complaints.file(
                NewComplaint(
                    party=party,
                    category=category,
                    what=what,
                    where=Where(online=where == "online", links=_lines(links), place=place.strip()),
                    when=happened,
                    source=Source.WEB_FORM,
                    complainant=None
                    if anonymous
                    else Complainant(name.strip(), email.strip(), phone.strip()),
                    respondent_member=respondent_member.strip() or None,
                    characteristic=characteristic or None,
                    health=health.strip(),
                ),
                actor=SYSTEM_ACTOR,
            )
    except HustingsError as failure:
        return _public_form(request, services, {"error": str(failure), "values": values}, status_code=422)
    return render(
        request, "complaints/filed.html", {"case": case, "stage": services.complaints.code.stages[case.state]}
    )


# ---------------------------------------------------------------- from a moderation item

Raiser = Annotated[Principal, Depends(allow(*RAISERS))]


@router.get("/raise")
def raise_page(
    principal: Raiser,
    request: Request,
    services: ServicesDep,
    message: Annotated[str, Query(min_length=1, max_length=200)],
    error: str = "",
    sig: str = "",
) -> Response:
    """A party complaint about the author of a stored message: the message is its evidence."""
    _, error = read_flash(services.settings, "", error, sig)
    found = services.messages.get(message)
    if found is None:
        raise NotFound(f"message {message!r} not found")
    return render(
        request,
        "complaints/raise.html",
        {"message": found, "code": services.complaints.code, "error": error},
    )


@router.post("/raise")
def raise_complaint(
    principal: Raiser,
    request: Request,
    services: ServicesDep,
    message: Annotated[str, Form(min_length=1, max_length=200)],
    party: Short = "",
    category: Short = "",
    characteristic: Short = "",
    respondent_member: Short = "",
    what: Long = "",
) -> Response:
    found = services.messages.get(message)
    if found is None:
        raise NotFound(f"message {message!r} not found")
    try:
        with savepoint(services.session):
            case = services.complaints.file(
                NewComplaint(
                    party=party,
                    category=category,
                    what=what,
                    where=Where(online=True, message_ids=(found.id,)),
                    when=found.created_at.date(),
                    source=Source.MODERATION,
                    respondent_member=respondent_member.strip() or None,
                    characteristic=characteristic or None,
                ),
                actor=user_actor(principal.user.id),
            )
    except HustingsError as failure:
        query = urlencode({"message": message, **flash(services.settings, error=str(failure))})
        return RedirectResponse(f"/complaints/raise?{query}", 303)
    return render(
        request, "complaints/filed.html", {"case": case, "stage": services.complaints.code.stages[case.state]}
    )


# ---------------------------------------------------------------- the party's team


@router.get("")
def complaints_page(
    principal: Reader,
    request: Request,
    services: ServicesDep,
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    notice, error = read_flash(services.settings, notice, error, sig)
    viewer = viewer_of(services, principal)
    return render(
        request,
        "complaints/list.html",
        {
            "viewer": viewer,
            "cases": services.complaints.cases(viewer),
            "handler": services.complaints.handler(principal.user.id),
            "now": services.clock.now(),
            "code": services.complaints.code,
            "notice": notice,
            "error": error,
        },
    )


@router.post("/conflicts")
def declare_conflict(
    principal: Reader, services: ServicesDep, case: Short = "", member: Short = "", note: Long = ""
) -> Response:
    viewer = viewer_of(services, principal)
    try:
        with savepoint(services.session):
            services.complaints.declare_conflict(
                viewer, case=case.strip() or None, member=member.strip() or None, note=note
            )
    except HustingsError as failure:
        return RedirectResponse(f"/complaints?{urlencode(flash(services.settings, error=str(failure)))}", 303)
    query = urlencode(flash(services.settings, notice="Your conflict of interest is recorded."))
    return RedirectResponse(f"/complaints?{query}", 303)


def _case_url(reference: str, **message: str) -> str:
    return f"/complaints/cases/{quote(reference)}?{urlencode(message)}"


@router.get("/cases/{reference}")
@writes_on_read
def case_page(
    reference: str,
    principal: Reader,
    request: Request,
    services: ServicesDep,
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    """The case, recorded as a view; someone outside the case team is asked for a reason first."""
    notice, error = read_flash(services.settings, notice, error, sig)
    complaints = services.complaints
    viewer = viewer_of(services, principal)
    try:
        case = complaints.open(reference, viewer)
    except BreakGlassRequired as refusal:
        return render(
            request,
            "complaints/break_glass.html",
            {"reference": reference, "why": str(refusal), "error": error},
            status_code=403,
        )
    return render(request, "complaints/case.html", _case_context(services, case, viewer, notice, error))


def _case_context(
    services: Services, case: Case, viewer: Viewer, notice: str, error: str
) -> dict[str, object]:
    complaints = services.complaints
    return {
        "case": case,
        "viewer": viewer,
        "on_team": case.on_team(viewer.user_id),
        "stage": complaints.code.stages[case.state],
        "timetable": complaints.timetable(case),
        "history": complaints.history(case),
        "handlers": [h for h in complaints.handlers(case.party) if h.user_id not in case.team],
        "code": complaints.code,
        "category": complaints.code.category(case.category),
        "plain": complaints.plain_words(case),
        "now": services.clock.now(),
        "is_officer": Role.COMPLAINTS_OFFICER in viewer.roles,
        "notice": notice,
        "error": error,
        "assessments": list(Assessment),
        "team_roles": list(TeamRole),
        "recipients": list(Recipient),
        "names": _names(services),
        "severities": list(Severity),
        "guidance": {
            severity: complaints.code.guided_sanctions(case.category, severity) for severity in Severity
        },
        "past": complaints.past_sanctions(case) if case.state is CaseState.HEARING else {},
        "joint_category": complaints.code.category(case.category).joint,
        "survey_links": {
            recipient: link
            for recipient in Recipient
            if (link := complaints.survey_link(case, recipient)) is not None
        },
        "retention_due": complaints.retention_due(case),
        "track_links": {
            recipient: services.settings.public_url.rstrip("/") + link
            for recipient in Recipient
            if (link := complaints.track_link(case, recipient)) is not None
        },
    }


def _names(services: Services) -> dict[str, str]:
    """User names by id and by actor, so pages name people rather than show ids."""
    users = services.users.all()
    return {**{u.id: u.name for u in users}, **{user_actor(u.id): u.name for u in users}}


@router.post("/cases/{reference}/open")
def break_glass(reference: str, principal: Reader, services: ServicesDep, reason: Long = "") -> Response:
    """Open a case from outside its team, giving a reason that oversight will read."""
    viewer = viewer_of(services, principal)
    if not reason.strip():
        return RedirectResponse(
            _case_url(reference, **flash(services.settings, error="reason: say why you open this case")), 303
        )
    services.complaints.open(reference, viewer, reason=reason)
    return RedirectResponse(_case_url(reference), 303)


Choice = TypeVar("Choice")


def choose(kind: Callable[[str], Choice], value: str, field: str) -> Choice:
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not one of the choices") from None


@router.post("/cases/{reference}/step")
def case_step(
    reference: str,
    principal: Reader,
    services: ServicesDep,
    action: Short = "",
    reason: Long = "",
    clauses: Short = "",
    evidence: Long = "",
    assessment: Short = "",
    handler: Short = "",
    role: Short = "",
    recipient: Short = "",
    text: Long = "",
    panel: Short = "",
    sanction: Short = "",
    proved: Short = "",
    upheld: Short = "",
    outcome: Short = "",
    severity: Short = "",
    departure: Long = "",
) -> Response:
    """One step on the case, named by `action`; the service decides whether this caller may take it."""
    viewer = viewer_of(services, principal)
    complaints = services.complaints

    def grounds() -> Grounds:
        return Grounds(reason.strip(), _clauses(clauses), evidence.strip())

    steps: dict[str, Callable[[], object]] = {
        "acknowledge": lambda: complaints.acknowledge(reference, viewer, reason=reason),
        "assess": lambda: complaints.assess(
            reference, viewer, choose(Assessment, assessment, "assessment"), grounds()
        ),
        "assign": lambda: complaints.assign(
            reference, viewer, handler.strip(), choose(TeamRole, role, "role"), reason=reason
        ),
        "communicate": lambda: complaints.communicate(
            reference, viewer, choose(Recipient, recipient, "recipient"), text
        ),
        "object": lambda: complaints.object(
            reference, viewer, handler.strip(), choose(Recipient, recipient, "recipient"), reason=reason
        ),
        "decide_objection": lambda: complaints.decide_objection(
            reference, viewer, handler.strip(), upheld=upheld == "yes", reason=reason
        ),
        "charge": lambda: complaints.charge(reference, viewer, grounds()),
        "hearing": lambda: complaints.open_hearing(reference, viewer, list(_clauses(panel)), reason=reason),
        "decide": lambda: complaints.decide(
            reference,
            viewer,
            grounds(),
            proved=proved == "yes",
            sanction=sanction or None,
            severity=choose(Severity, severity, "severity") if severity else None,
            departure=departure,
        ),
        "appeal": lambda: complaints.appeal(
            reference, viewer, choose(Recipient, recipient, "recipient"), reason=reason
        ),
        "decide_appeal": lambda: complaints.decide_appeal(
            reference, viewer, grounds(), upheld=upheld == "yes", sanction=sanction or None
        ),
        "close": lambda: complaints.close(reference, viewer, grounds(), outcome=outcome.strip() or "closed"),
        "refer_joint": lambda: complaints.refer_joint(reference, viewer, reason=reason),
        "comment": lambda: complaints.comment(reference, viewer, text),
    }
    try:
        with savepoint(services.session):
            if action not in steps:
                raise InvalidInput(f"action: {action!r} is not a step of a case")
            taken = steps[action]()
    except HustingsError as failure:
        return RedirectResponse(_case_url(reference, **flash(services.settings, error=str(failure))), 303)
    done = f"Done: {action.replace('_', ' ')}."
    if action == "communicate" and isinstance(taken, Case):
        if complaints.emails(taken, Recipient(recipient)):
            done += " It is also e-mailed to the complainant, with their tracking link."
        else:
            done += " Not sent by e-mail: record how you sent it."
    return RedirectResponse(_case_url(reference, **flash(services.settings, notice=done)), 303)


@router.get("/oversight")
def oversight_page(principal: Overseer, request: Request, services: ServicesDep) -> Response:
    """Who outside each case's team opened it, and the reason they gave."""
    viewer = viewer_of(services, principal)
    records = services.complaints.oversight_report(viewer) if viewer.party is not None else []
    return render(
        request,
        "complaints/oversight.html",
        {"records": records, "viewer": viewer, "names": _names(services)},
    )


@router.get("/cases/{reference}/export.json")
@writes_on_read
def export_case(reference: str, principal: Reader, services: ServicesDep, reason: str = "") -> Response:
    """The case's full history as JSON, recorded in the access log as an export."""
    exported = services.complaints.export_json(reference, viewer_of(services, principal), reason=reason)
    return JSONResponse(
        exported, headers={"content-disposition": f'attachment; filename="{quote(reference)}.json"'}
    )


# ---------------------------------------------------------------- the joint panel


@router.get("/joint")
def joint_page(principal: JointReader, request: Request, services: ServicesDep) -> Response:
    """The cases referred to the joint panel under the joint election code, whichever party's."""
    viewer = viewer_of(services, principal)
    return render(
        request,
        "complaints/joint.html",
        {"viewer": viewer, "cases": services.complaints.joint_cases(viewer), "now": services.clock.now()},
    )


# ---------------------------------------------------------------- figures


def _quarter(text: str, services: Services) -> Quarter:
    return Quarter.parse(text) if text else Quarter.of(services.clock.now())


@router.get("/figures")
def figures_page(
    principal: Reader, request: Request, services: ServicesDep, quarter: str = "", scope: str = "party"
) -> Response:
    """The quarterly figures with charts and tables; small numbers suppressed."""
    viewer = viewer_of(services, principal)
    error = ""
    figures = None
    try:
        figures = services.complaints.quarterly(viewer, _quarter(quarter, services), joint=scope == "joint")
    except HustingsError as failure:
        error = str(failure)
    charts = {}
    if figures is not None:
        for title, counts in (
            ("Complaints received by category", figures.by_category),
            ("Stage reached by the end of the quarter", figures.stage_reached),
            ("Outcomes", figures.outcomes),
        ):
            shown = {key: value for key, value in counts.items() if value}
            charts[title] = horizontal_bars(shown, colour_for(list(shown)), title=title)
    return render(
        request,
        "complaints/figures.html",
        {
            "figures": figures,
            "charts": charts,
            "error": error,
            "scope": scope,
            "viewer": viewer,
            "quarter": quarter or str(Quarter.of(services.clock.now())),
        },
        status_code=200 if figures is not None else 422,
    )


@router.get("/figures.csv")
def figures_csv_page(
    principal: Reader,
    services: ServicesDep,
    quarter: Annotated[str, Query(min_length=7, max_length=7)],
    scope: str = "party",
) -> Response:
    viewer = viewer_of(services, principal)
    return figures_csv(services.complaints.quarterly(viewer, Quarter.parse(quarter), joint=scope == "joint"))


# ---------------------------------------------------------------- audit


@router.get("/audit")
def audit_page(
    principal: Overseer,
    request: Request,
    services: ServicesDep,
    quarter: str = "",
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    """The quarter's audit sample (drawn the same way every time) and the reviewers' findings."""
    notice, error = read_flash(services.settings, notice, error, sig)
    viewer = viewer_of(services, principal)
    drawn = _quarter(quarter, services)
    sample = services.complaints.audit_sample(viewer, drawn) if viewer.party is not None else []
    return render(
        request,
        "complaints/audit.html",
        {
            "quarter": str(drawn),
            "sample": sample,
            "views": list(AuditView),
            "names": _names(services),
            "notice": notice,
            "error": error,
        },
    )


@router.post("/audit/findings")
def record_finding(
    principal: Overseer,
    services: ServicesDep,
    quarter: Short = "",
    reference: Short = "",
    view: Short = "",
    note: Long = "",
) -> Response:
    viewer = viewer_of(services, principal)
    try:
        with savepoint(services.session):
            services.complaints.record_finding(
                reference, viewer, Quarter.parse(quarter), choose(AuditView, view, "view"), note
            )
    except HustingsError as failure:
        message = flash(services.settings, error=str(failure))
    else:
        message = flash(services.settings, notice=f"Finding on {reference} recorded.")
    return RedirectResponse(f"/complaints/audit?{urlencode({'quarter': quarter, **message})}", 303)


# ---------------------------------------------------------------- the party's tracking page


@router.get("/track/{token}")
@writes_on_read
def track_page(token: str, _: Public, request: Request, services: ServicesDep) -> Response:
    """A party's own view of their case, from the link the case team sent them (the token is the
    credential): the stage, what comes next and by when, and every message sent to them. Recorded."""
    try:
        tracking = services.complaints.track(token)
    except NotFound as failure:
        return render(request, "complaints/survey_done.html", {"message": str(failure)}, status_code=404)
    return render(request, "complaints/track.html", {"t": tracking})


# ---------------------------------------------------------------- the confidence survey


@router.get("/survey/{token}")
def survey_page(token: str, _: Public, request: Request, services: ServicesDep) -> Response:
    """The confidence survey, from the one-time link sent at closure (the token is the credential)."""
    try:
        case, _recipient = services.complaints.survey_case(token)
    except NotFound as failure:
        return render(request, "complaints/survey_done.html", {"message": str(failure)}, status_code=404)
    return render(
        request,
        "complaints/survey.html",
        {
            "token": token,
            "reference": case.reference,
            "questions": services.complaints.code.survey,
            "error": "",
        },
    )


@router.post("/survey/{token}")
async def answer_survey(token: str, _: Public, request: Request, services: ServicesDep) -> Response:
    form = await request.form()
    answers: dict[str, int] = {}
    for question in services.complaints.code.survey:
        value = form.get(question.id, "")
        if isinstance(value, str) and value.isdigit():
            answers[question.id] = int(value)
    try:
        with savepoint(services.session):
            services.complaints.answer_survey(token, answers)
    except NotFound as failure:
        return render(request, "complaints/survey_done.html", {"message": str(failure)}, status_code=404)
    except HustingsError as failure:
        case, _recipient = services.complaints.survey_case(token)
        return render(
            request,
            "complaints/survey.html",
            {
                "token": token,
                "reference": case.reference,
                "questions": services.complaints.code.survey,
                "error": str(failure),
            },
            status_code=422,
        )
    return render(
        request, "complaints/survey_done.html", {"message": "Thank you: your answers are recorded."}
    )
