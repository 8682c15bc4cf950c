"""A target's controls: settings, hidden words, and block and mute lists (JSON or CSV).

Routes under /v1/targets/{target_id}/controls, for the target, their delegates and admins. CSV
import (`POST .../blocked.csv`, body `text/csv`) keeps the good rows and names each bad one by
line; export (`GET .../blocked.csv`) is written to the access log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal, Role
from hustings.errors import InvalidInput, NotFound
from hustings.events import user_actor
from hustings.protection.controls import Sensitivity, account_ref, accounts_csv, parse_accounts_csv
from hustings.targets.model import visible_target
from hustings.web.deps import AccessLogDep, ServicesDep, allow
from hustings.web.responses import CsvResponse

router = APIRouter(prefix="/v1/targets/{target_id}/controls", tags=["controls"])
Guardian = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]
LISTS = ("blocked", "muted")
MAX_CSV_BYTES = 2_000_000


class ControlsPublic(BaseModel):
    target_id: str
    blocked: list[str] = Field(description="`platform:handle` of each blocked account.")
    muted: list[str]
    hidden_words: list[str]
    sensitivity: Sensitivity
    only_known: bool
    auto_shield: bool


class SettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sensitivity: Sensitivity | None = None
    only_known: bool | None = Field(default=None, description="Hold messages from accounts you do not know.")
    auto_shield: bool | None = Field(default=None, description="Switch the shield on when an incident opens.")


class HiddenWordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    word: str = Field(min_length=1, max_length=100)


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str = Field(min_length=1, max_length=40)
    handle: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=500)


class AccountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts: list[AccountIn] = Field(min_length=1, max_length=5000)


class ImportPublic(BaseModel):
    added: int
    problems: list[dict[str, Any]] = Field(description="`{line, error}` for each row left out.")


def _list(name: str) -> str:
    if name not in LISTS:
        raise NotFound(f"list: no list {name!r}; expected blocked or muted")
    return name


@router.get("", response_model=ControlsPublic)
def read_controls(target_id: str, principal: Guardian, services: ServicesDep) -> Any:
    visible_target(services.targets, principal.user, target_id)
    return services.protection.controls(target_id).to_json()


@router.patch("", response_model=ControlsPublic)
def change_settings(target_id: str, body: SettingsChange, principal: Guardian, services: ServicesDep) -> Any:
    """Change sensitivity, "only accounts I know" or the standing choice to switch the shield on."""
    visible_target(services.targets, principal.user, target_id)
    controls = services.protection.change_settings(
        target_id,
        actor=user_actor(principal.user.id),
        sensitivity=body.sensitivity,
        only_known=body.only_known,
        auto_shield=body.auto_shield,
    )
    return controls.to_json()


@router.post("/hidden-words", response_model=ControlsPublic, status_code=201)
def add_hidden_word(target_id: str, body: HiddenWordIn, principal: Guardian, services: ServicesDep) -> Any:
    """Hide messages containing a word or phrase, however it is disguised."""
    visible_target(services.targets, principal.user, target_id)
    change = services.protection.add_hidden_word(target_id, body.word, actor=user_actor(principal.user.id))
    return change.controls.to_json()


@router.delete("/hidden-words/{word}", response_model=ControlsPublic)
def remove_hidden_word(target_id: str, word: str, principal: Guardian, services: ServicesDep) -> Any:
    visible_target(services.targets, principal.user, target_id)
    controls = services.protection.remove_hidden_word(target_id, word, actor=user_actor(principal.user.id))
    return controls.to_json()


@router.get("/{list_name}.csv", response_class=CsvResponse)
def export_list(
    target_id: str, list_name: str, principal: Guardian, services: ServicesDep, access: AccessLogDep
) -> Response:
    """The block or mute list as CSV (platform, handle, note, added_at)."""
    visible_target(services.targets, principal.user, target_id)
    name = _list(list_name)
    controls = services.protection.controls(target_id)
    entries = controls.blocked if name == "blocked" else controls.muted
    access.export(principal, f"/v1/targets/{target_id}/controls/{name}.csv")
    return Response(
        accounts_csv(entries.values()),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{target_id}-{name}.csv"'},
    )


@router.post("/{list_name}.csv", response_model=ImportPublic)
async def import_list(
    target_id: str, list_name: str, request: Request, principal: Guardian, services: ServicesDep
) -> Any:
    """Add the accounts in a CSV (`platform,handle[,note]`, header optional); bad rows are named by line."""
    from starlette.concurrency import run_in_threadpool

    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput(f"file: at most {MAX_CSV_BYTES} bytes")

    def work() -> ImportPublic:
        visible_target(services.targets, principal.user, target_id)
        name = _list(list_name)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("file: not UTF-8 text") from None
        accounts, problems = parse_accounts_csv(text)
        services.protection.add_accounts(target_id, name, accounts, actor=user_actor(principal.user.id))
        return ImportPublic(added=len(accounts), problems=[p.to_json() for p in problems])

    return await run_in_threadpool(work)


@router.get("/{list_name}")
def read_list(
    target_id: str, list_name: str, principal: Guardian, services: ServicesDep
) -> list[dict[str, Any]]:
    visible_target(services.targets, principal.user, target_id)
    controls = services.protection.controls(target_id)
    entries = controls.blocked if _list(list_name) == "blocked" else controls.muted
    return [dict(entry) for _, entry in sorted(entries.items())]


@router.post("/{list_name}", response_model=ControlsPublic, status_code=201)
def add_accounts(
    target_id: str, list_name: str, body: AccountsIn, principal: Guardian, services: ServicesDep
) -> Any:
    visible_target(services.targets, principal.user, target_id)
    name = _list(list_name)
    refs = []
    for index, item in enumerate(body.accounts):
        try:
            refs.append(account_ref(item.platform, item.handle, item.note))
        except InvalidInput as error:
            raise InvalidInput(f"accounts.{index}.{error}") from None
    change = services.protection.add_accounts(target_id, name, refs, actor=user_actor(principal.user.id))
    return change.controls.to_json()


@router.delete("/{list_name}/{platform}/{handle}", response_model=ControlsPublic)
def remove_account(
    target_id: str, list_name: str, platform: str, handle: str, principal: Guardian, services: ServicesDep
) -> Any:
    visible_target(services.targets, principal.user, target_id)
    name = _list(list_name)
    ref = account_ref(platform, handle)
    protection = services.protection
    current = protection.controls(target_id)
    if ref.key not in (current.blocked if name == "blocked" else current.muted):
        raise NotFound(f"handle: {ref.key} is not on the {name} list")
    controls = protection.remove_accounts(target_id, name, [ref], actor=user_actor(principal.user.id))
    return controls.to_json()
