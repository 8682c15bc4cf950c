"""The moderation policy: versioned rules that decisions cite, read from `policy.toml`.

The policy is configuration, not code: rules (with examples), the ground each rests on, the DSA
category it maps to, the default action per detector label and severity band, and the statutory
clocks. Every decision records `policy.version`, so a decision made under an older version stays
explained by the rules in force when it was made.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hustings.errors import ConfigurationError, InvalidInput
from hustings.moderation.events import Action

POLICY_FILE = Path(__file__).with_name("policy.toml")

Band = Literal["low", "medium", "high"]


class DefaultActions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    low: Action
    medium: Action
    high: Action

    def for_band(self, band: Band) -> Action:
        action: Action = getattr(self, band)
        return action


class Rule(BaseModel):
    """One rule a decision can cite."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    title: str
    labels: tuple[str, ...]
    ground: Literal["illegal", "incompatible", "none"]
    """`illegal`: the content breaks the law; `incompatible`: the terms of service; `none`: no breach."""
    legal_ground: str
    explanation: str
    dsa_category: str
    dsa_keywords: tuple[str, ...] = ()
    default_action: DefaultActions
    examples: tuple[str, ...] = ()

    @property
    def breach(self) -> bool:
        return self.ground != "none"


class SeverityBands(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    medium: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)


class PolicyDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    territorial_scope: tuple[str, ...]
    content_type: tuple[str, ...]


class Policy(BaseModel):
    """The whole policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    title: str
    reference_url: str
    manifestly_illegal_categories: frozenset[str]
    clock_hours_manifestly_illegal: int = Field(gt=0)
    clock_hours_otherwise: int = Field(gt=0)
    lane_hours_threat: int = Field(default=1, gt=0)
    """The priority lane's service level for a trusted flagger's report of a threat category."""
    lane_hours_otherwise: int = Field(default=4, gt=0)
    lane_threat_categories: frozenset[str] = frozenset({"threat"})
    severity_bands: SeverityBands
    defaults: PolicyDefaults
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _rules_are_unique_and_valid(self) -> Policy:
        from hustings.moderation.taxonomy import TAXONOMY

        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rules: rule id {rule.id!r} appears twice")
            seen.add(rule.id)
            # The same lists the statement validator reads, so a rule the policy accepts gives
            # statements the database accepts.
            problem = TAXONOMY.category_problem(rule.dsa_category) if rule.breach else None
            if problem:
                raise ValueError(f"rules.{rule.id}.dsa_category: {problem}")
            for keyword in rule.dsa_keywords:
                problem = TAXONOMY.keyword_problem(keyword)
                if problem:
                    raise ValueError(f"rules.{rule.id}.dsa_keywords: {problem}")
        return self

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise InvalidInput(
            f"policy_rule: no rule {rule_id!r} in policy {self.version} "
            f"(rules: {', '.join(r.id for r in self.rules)})"
        )

    def rule_for_category(self, category: str | None) -> Rule:
        """The rule that covers a report category (a detector label or `other`)."""
        for rule in self.rules:
            if category in rule.labels:
                return rule
        return self.rule("O1") if any(r.id == "O1" for r in self.rules) else self.rules[0]

    def band(self, severity: float) -> Band:
        if severity >= self.severity_bands.high:
            return "high"
        if severity >= self.severity_bands.medium:
            return "medium"
        return "low"

    def default_action(self, rule: Rule, severity: float) -> Action:
        return rule.default_action.for_band(self.band(severity))

    def manifestly_illegal(self, category: str | None) -> bool:
        return category in self.manifestly_illegal_categories

    def clock(self, manifestly_illegal: bool) -> timedelta:
        """How long the statutory clock runs from the first notice."""
        hours = self.clock_hours_manifestly_illegal if manifestly_illegal else self.clock_hours_otherwise
        return timedelta(hours=hours)

    def lane_hours(self, category: str | None) -> int:
        """The priority lane's service level for a trusted flagger's report: hours to first action."""
        return (
            self.lane_hours_threat if category in self.lane_threat_categories else self.lane_hours_otherwise
        )


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    try:
        return Policy.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{source}: not valid TOML: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'policy'}: {item['msg']}" for item in error.errors()
        )
        raise ConfigurationError(f"{source}: {problems}") from None


@cache
def load_policy(path: Path = POLICY_FILE) -> Policy:
    """The policy in force, read once per process."""
    return parse_policy(path.read_text(encoding="utf-8"), source=str(path))
