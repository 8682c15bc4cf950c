"""Platform referral pages: the list, one referral with the platform's answers and the forms to
record them, and referring a message to a platform (the form sits on the console's item page)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings import wording
from hustings.auth.model import Principal
from hustings.errors import HustingsError, InvalidInput
from hustings.events import user_actor
from hustings.platforms.model import (
    READERS,
    REFERRERS,
    Answer,
    Channel,
    ContentCheck,
    PlatformAction,
    PlatformReferralDraft,
)
from hustings.platforms.service import AnswerDraft
from hustings.storage.database import savepoint
from hustings.transparency.view import hours, pct
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/platform-referrals", include_in_schema=False)
Reader = Annotated[Principal, Depends(allow(*READERS))]
Referrer = Annotated[Principal, Depends(allow(*REFERRERS))]
NAV = [NavItem("Platforms", "/platform-referrals", READERS, order=45)]
Text = Annotated[str, Form(max_length=2000)]


def _moment(text: str, field: str) -> datetime | None:
    """A datetime-local field, typed in local time (`wording.from_local`), as UTC; None when blank."""
    if not text.strip():
        return None
    try:
        return wording.from_local(text)
    except ValueError as error:
        raise InvalidInput(
            f"{field}: {text.strip()!r} is not a date and time in {wording.zone_name()} ({error})"
        ) from None


def _detail(
    referral_id: str, services: ServicesDep, *, notice: str = "", error: str = ""
) -> RedirectResponse:
    query = urlencode(flash(services.settings, notice=notice, error=error))
    return RedirectResponse(f"/platform-referrals/{quote(referral_id)}?{query}", status_code=303)


@router.get("")
def referrals_page(
    principal: Reader,
    request: Request,
    services: ServicesDep,
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    notice, error = read_flash(services.settings, notice, error, sig)
    referrals = services.platform_referrals.all()
    return render(
        request,
        "platforms/list.html",
        {
            "referrals": referrals,
            "response": services.platform_referrals.response().to_json(),
            "pct": pct,
            "hours": hours,
            "notice": notice,
            "error": error,
        },
    )


@router.post("")
def refer(
    principal: Referrer,
    services: ServicesDep,
    message_ids: Annotated[str, Form(min_length=1, max_length=10_000)],
    platform: Annotated[str, Form(max_length=100)],
    channel: Annotated[Channel, Form()],
    reference: Annotated[str, Form(max_length=200)] = "",
    election_id: Annotated[str, Form(max_length=200)] = "",
    sent_at: Annotated[str, Form(max_length=40)] = "",
    reason: Text = "",
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Refer the messages (one id a line or comma) from the item page; back there on a mistake."""
    try:
        with savepoint(services.session):
            draft = PlatformReferralDraft(
                platform=platform,
                channel=channel,
                message_ids=tuple(m for part in message_ids.split() for m in part.split(",") if m),
                reference=reference,
                election_id=election_id or None,
                sent_at=_moment(sent_at, "sent_at"),
                reason=reason,
            )
            referral = services.platform_referrals.refer(draft, actor=user_actor(principal.user.id))
    except HustingsError as failure:
        target = back if back.startswith("/console/items/") else "/platform-referrals"
        joiner = "&" if "?" in target else "?"
        return RedirectResponse(
            f"{target}{joiner}{urlencode(flash(services.settings, error=str(failure)))}", status_code=303
        )
    return _detail(referral.id, services, notice=f"Referred to {referral.platform}.")


@router.get("/{referral_id}")
def referral_page(
    referral_id: str,
    principal: Reader,
    request: Request,
    services: ServicesDep,
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    notice, error = read_flash(services.settings, notice, error, sig)
    referral = services.platform_referrals.get(referral_id)
    return render(
        request,
        "platforms/detail.html",
        {
            "r": referral,
            "history": services.platform_referrals.history(referral_id),
            "answers": list(Answer),
            "actions": list(PlatformAction),
            "checks": list(ContentCheck),
            "can_record": bool(REFERRERS & principal.user.roles),
            "zone": wording.zone_name(),
            "notice": notice,
            "error": error,
        },
    )


@router.post("/{referral_id}/answers")
def record_answer(
    referral_id: str,
    principal: Referrer,
    services: ServicesDep,
    answer: Annotated[Answer, Form()],
    action: Annotated[str, Form(max_length=40)] = "",
    at: Annotated[str, Form(max_length=40)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
    reason: Text = "",
) -> Response:
    try:
        with savepoint(services.session):
            if action and action not in {a.value for a in PlatformAction}:
                raise InvalidInput(f"action: {action!r} is not one of removed, restricted, account_suspended")
            draft = AnswerDraft(
                answer=answer,
                at=_moment(at, "at"),
                action=PlatformAction(action) if action and answer is Answer.ACTIONED else None,
                reference=reference,
                reason=reason,
            )
            referral = services.platform_referrals.answer(
                referral_id, draft, actor=user_actor(principal.user.id)
            )
    except HustingsError as failure:
        return _detail(referral_id, services, error=str(failure))
    return _detail(referral.id, services, notice=f"Recorded: {answer.value.replace('_', ' ')}.")


@router.post("/{referral_id}/checks")
def record_check(
    referral_id: str,
    principal: Referrer,
    services: ServicesDep,
    result: Annotated[ContentCheck, Form()],
    at: Annotated[str, Form(max_length=40)] = "",
    reason: Text = "",
) -> Response:
    try:
        with savepoint(services.session):
            services.platform_referrals.check(
                referral_id, result, actor=user_actor(principal.user.id), at=_moment(at, "at"), reason=reason
            )
    except HustingsError as failure:
        return _detail(referral_id, services, error=str(failure))
    return _detail(
        referral_id,
        services,
        notice=f"Checked: content {'still up' if result is ContentCheck.UP else 'gone'}.",
    )
