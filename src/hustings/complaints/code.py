"""The party's code of conduct as the complaints process reads it, from `code.toml`.

Categories and the clauses decisions cite, each stage's time limit and the plain words the
parties are told, the sanctions a panel may set. Every complaint records `code.version`.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from hustings.complaints.model import CaseState, Severity
from hustings.errors import ConfigurationError, InvalidInput

CODE_FILE = Path(__file__).with_name("code.toml")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Frozen):
    id: str
    name: str


class Clause(_Frozen):
    id: str
    text: str


class Category(_Frozen):
    id: str
    label: str
    clauses: tuple[str, ...]
    needs_characteristic: bool = False
    joint: bool = False
    """Under the joint election code: a case may be referred to the joint panel."""


class Stage(_Frozen):
    limit_days: int
    plain: str
    next: str

    @property
    def limit(self) -> timedelta | None:
        return timedelta(days=self.limit_days) if self.limit_days else None


class Question(_Frozen):
    """One question of the confidence survey, answered from 1 to 5."""

    id: str
    text: str


class Audit(_Frozen):
    sample_size: int


class Sanctions(_Frozen):
    options: tuple[str, ...]


class Guidance(_Frozen):
    """The sanctions a panel is guided to for a category, by severity."""

    low: tuple[str, ...]
    medium: tuple[str, ...]
    high: tuple[str, ...]

    def for_severity(self, severity: Severity) -> tuple[str, ...]:
        guided: tuple[str, ...] = getattr(self, severity.value)
        return guided


class CodeOfConduct(_Frozen):
    """One version of the code: what a complaint can be about and how long each stage may take."""

    version: str
    title: str
    parties: tuple[Party, ...]
    protected_characteristics: tuple[str, ...]
    communication_days: int
    clauses: tuple[Clause, ...]
    categories: tuple[Category, ...]
    stages: dict[CaseState, Stage]
    sanctions: Sanctions
    guidance: dict[str, Guidance]
    """By category id; `default` for a category with none of its own."""
    retention: dict[str, int]
    """Days personal data are kept after closing, by outcome; `default` for any other."""
    survey: tuple[Question, ...]
    audit: Audit

    @model_validator(mode="after")
    def _consistent(self) -> CodeOfConduct:
        clause_ids = {clause.id for clause in self.clauses}
        for category in self.categories:
            unknown = set(category.clauses) - clause_ids
            if unknown:
                raise ValueError(f"category {category.id} cites unknown clauses {sorted(unknown)}")
        missing = set(CaseState) - set(self.stages)
        if missing:
            raise ValueError(f"stages missing: {sorted(missing)}")
        if "default" not in self.retention:
            raise ValueError("retention: a default period is needed")
        if any(days < 1 for days in self.retention.values()):
            raise ValueError("retention: every period is at least one day")
        if self.audit.sample_size < 1:
            raise ValueError("audit.sample_size: draw at least one case")
        if "default" not in self.guidance:
            raise ValueError("guidance: a [guidance.default] table is needed")
        category_ids = {category.id for category in self.categories}
        for key, guidance in self.guidance.items():
            if key != "default" and key not in category_ids:
                raise ValueError(f"guidance: {key!r} is not a category")
            for severity in Severity:
                unknown = set(guidance.for_severity(severity)) - set(self.sanctions.options)
                if unknown:
                    raise ValueError(f"guidance.{key}.{severity}: unknown sanctions {sorted(unknown)}")
        return self

    @property
    def communication_limit(self) -> timedelta:
        return timedelta(days=self.communication_days)

    def category(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise InvalidInput(f"category: {category_id!r} is not a category of the code of conduct")

    def party(self, party_id: str) -> Party:
        for party in self.parties:
            if party.id == party_id:
                return party
        raise InvalidInput(f"party: {party_id!r} is not a party on this installation")

    def clause(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise InvalidInput(f"clauses: {clause_id!r} is not a clause of the code of conduct")

    def check_clauses(self, clause_ids: tuple[str, ...]) -> tuple[str, ...]:
        """The clauses a decision cites, each one checked; a decision must cite at least one."""
        if not clause_ids:
            raise InvalidInput("clauses: a decision must cite at least one clause of the code")
        for clause_id in clause_ids:
            self.clause(clause_id)
        return clause_ids

    def guided_sanctions(self, category_id: str, severity: Severity) -> tuple[str, ...]:
        """The sanctions the guidance sets for a case of this category and severity."""
        return self.guidance.get(category_id, self.guidance["default"]).for_severity(severity)

    def retention_for(self, outcome: str) -> timedelta:
        """How long personal data are kept after a case closes with this outcome."""
        return timedelta(days=self.retention.get(outcome, self.retention["default"]))

    def check_sanction(self, sanction: str) -> str:
        if sanction not in self.sanctions.options:
            raise InvalidInput(f"sanction: {sanction!r} is not one of {', '.join(self.sanctions.options)}")
        return sanction


def parse_code(text: str) -> CodeOfConduct:
    try:
        return CodeOfConduct.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as failure:
        raise ConfigurationError(f"code of conduct: {failure}") from failure


@cache
def load_code(path: Path = CODE_FILE) -> CodeOfConduct:
    """The code of conduct shipped with Hustings (or at `path`)."""
    return parse_code(path.read_text(encoding="utf-8"))
