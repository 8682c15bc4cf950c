"""The safe inbox of one target: folders, a digest, and one action per message.

Routes under /v1/targets/{target_id}, for the target, their delegates and admins. Folders are
`inbox` (delivered and released; hostile ones flagged `blurred`), `held` (the shield's review
folder, and "only accounts I know") and `hidden` (block and mute lists, hidden words). Each
message can be released, reported to moderation, or added to the evidence bundle.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal, Role
from hustings.events import user_actor
from hustings.protection.inbox import InboxItem
from hustings.targets.model import visible_target
from hustings.web.deps import ServicesDep, allow
from hustings.web.params import Offset

router = APIRouter(prefix="/v1/targets/{target_id}", tags=["inbox"])
Guardian = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]


class InboxMessage(BaseModel):
    message_id: str
    source: str
    text: str
    created_at: str
    author_handle: str
    author_key: str
    url: str | None
    state: str
    blurred: bool = Field(description="Hostile, held or hidden: show masked until the reader chooses to see it.")
    hostile: list[str]
    why: list[dict[str, str]]
    incident_id: str | None


class InboxPublic(BaseModel):
    target_id: str
    folder: str
    counts: dict[str, int]
    messages: list[InboxMessage]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(
        default=None, description="A detector label or `other`; the flag if left out."
    )
    claims_illegal: bool = False
    note: str = Field(default="", max_length=2000)


class BundleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_ids: list[str] = Field(min_length=1, max_length=5000)
    note: str = Field(default="", max_length=500)


def inbox_message(item: InboxItem) -> InboxMessage:
    return InboxMessage(
        message_id=item.message.id,
        source=item.message.source,
        text=item.message.text,
        created_at=item.message.created_at.isoformat(),
        author_handle=item.message.author.handle,
        author_key=item.message.author.key,
        url=item.message.url,
        state=item.state,
        blurred=item.masked,
        hostile=item.hostile,
        why=item.why,
        incident_id=item.incident_id,
    )


@router.get("/inbox", response_model=InboxPublic)
def read_inbox(
    target_id: str,
    principal: Guardian,
    services: ServicesDep,
    folder: Annotated[str, Query(pattern="^(inbox|held|hidden)$")] = "inbox",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Any:
    visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    return InboxPublic(
        target_id=target_id,
        folder=folder,
        counts=protection.folder_counts(target_id),
        messages=[
            inbox_message(item) for item in protection.inbox(target_id, folder, limit=limit, offset=offset)
        ],
    )


@router.get("/digest")
def read_digest(target_id: str, principal: Guardian, services: ServicesDep) -> dict[str, Any]:
    visible_target(services.targets, principal.user, target_id)
    return services.protection.digest(target_id)


@router.post("/inbox/{message_id}/release")
def release(target_id: str, message_id: str, principal: Guardian, services: ServicesDep) -> dict[str, Any]:
    """Let a held or hidden message into the inbox."""
    visible_target(services.targets, principal.user, target_id)
    status = services.protection.release(target_id, message_id, actor=user_actor(principal.user.id))
    return {"message_id": message_id, "state": status.state}


@router.post("/inbox/{message_id}/report", status_code=201)
def report(
    target_id: str, message_id: str, body: ReportIn, principal: Guardian, services: ServicesDep
) -> dict[str, Any]:
    """Report the message to moderation on the target's behalf."""
    visible_target(services.targets, principal.user, target_id)
    outcome = services.protection.report_message(
        target_id,
        message_id,
        reporter=principal.user,
        category=body.category,
        claims_illegal=body.claims_illegal,
        note=body.note,
    )
    return {"report_id": outcome.report_id, "message_id": message_id, "repeat": outcome.repeat}


@router.get("/bundle")
def read_bundle(target_id: str, principal: Guardian, services: ServicesDep) -> dict[str, Any]:
    """The evidence bundle: message ids with who added each, when and why."""
    visible_target(services.targets, principal.user, target_id)
    return {"target_id": target_id, "items": services.protection.bundle(target_id)}


@router.post("/bundle", status_code=201)
def add_to_bundle(
    target_id: str, body: BundleIn, principal: Guardian, services: ServicesDep
) -> dict[str, Any]:
    visible_target(services.targets, principal.user, target_id)
    protection = services.protection
    protection.add_to_bundle(target_id, body.message_ids, actor=user_actor(principal.user.id), note=body.note)
    return {"target_id": target_id, "items": protection.bundle(target_id)}
