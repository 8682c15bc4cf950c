"""Ad-hoc assessment of texts by the shipped detector: POST /v1/assess."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from hustings.auth.model import Principal
from hustings.web.deps import ANY_ROLE, ServicesDep

router = APIRouter(prefix="/v1/assess", tags=["detector"])
Caller = Annotated[Principal, Depends(ANY_ROLE)]


class AssessCreate(BaseModel):
    texts: list[Annotated[str, StringConstraints(max_length=20_000)]] = Field(min_length=1, max_length=256)


class EvidencePublic(BaseModel):
    label: str
    start: int
    end: int
    text: str
    reason: str


class AssessmentPublic(BaseModel):
    labels: dict[str, float]
    flagged: list[str]
    characteristic: str | None
    evidence: list[EvidencePublic]
    model: str
    severity: float


class AssessPublic(BaseModel):
    assessments: list[AssessmentPublic]


@router.post("", response_model=AssessPublic)
async def assess(request: AssessCreate, _: Caller, services: ServicesDep) -> Any:
    """Score up to 256 texts; nothing is stored. Any signed-in user may ask."""
    detector = services.detector()
    assessments = await run_in_threadpool(detector.assess, request.texts)
    return {"assessments": [assessment.to_json() for assessment in assessments]}
