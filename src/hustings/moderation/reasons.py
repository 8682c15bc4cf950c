"""The statement of reasons, with the field names and enumerations of the EU DSA Transparency
Database API (`POST /api/v1/statement`), so a decision can be exported to it unchanged.

Written from the Transparency Database's API documentation: the fields, the values of each
enumeration and the rules for which fields go together. Its lists (categories and keywords,
languages, EEA states) are data, with the version of the database they match, in
`hustings.moderation.taxonomy`. `StatementOfReasons` refuses any invalid combination with an error that names
the field; `to_dsa_json()` gives the JSON object the database accepts.

`build_statement` fills a statement from a decision: the action's effect on visibility or the
account, the policy rule's ground, category and explanation, and the item's facts.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hustings.errors import InvalidInput
from hustings.moderation.events import Action, ReporterKind
from hustings.moderation.taxonomy import TAXONOMY


class DecisionVisibility(StrEnum):
    CONTENT_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
    CONTENT_DISABLED = "DECISION_VISIBILITY_CONTENT_DISABLED"
    CONTENT_DEMOTED = "DECISION_VISIBILITY_CONTENT_DEMOTED"
    CONTENT_AGE_RESTRICTED = "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"
    CONTENT_INTERACTION_RESTRICTED = "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"
    CONTENT_LABELLED = "DECISION_VISIBILITY_CONTENT_LABELLED"
    OTHER = "DECISION_VISIBILITY_OTHER"


class DecisionMonetary(StrEnum):
    SUSPENSION = "DECISION_MONETARY_SUSPENSION"
    TERMINATION = "DECISION_MONETARY_TERMINATION"
    OTHER = "DECISION_MONETARY_OTHER"


class DecisionProvision(StrEnum):
    PARTIAL_SUSPENSION = "DECISION_PROVISION_PARTIAL_SUSPENSION"
    TOTAL_SUSPENSION = "DECISION_PROVISION_TOTAL_SUSPENSION"
    PARTIAL_TERMINATION = "DECISION_PROVISION_PARTIAL_TERMINATION"
    TOTAL_TERMINATION = "DECISION_PROVISION_TOTAL_TERMINATION"


class DecisionAccount(StrEnum):
    SUSPENDED = "DECISION_ACCOUNT_SUSPENDED"
    TERMINATED = "DECISION_ACCOUNT_TERMINATED"


class AccountType(StrEnum):
    BUSINESS = "ACCOUNT_TYPE_BUSINESS"
    PRIVATE = "ACCOUNT_TYPE_PRIVATE"


class DecisionGround(StrEnum):
    ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT"
    INCOMPATIBLE_CONTENT = "DECISION_GROUND_INCOMPATIBLE_CONTENT"


class ContentType(StrEnum):
    APP = "CONTENT_TYPE_APP"
    AUDIO = "CONTENT_TYPE_AUDIO"
    IMAGE = "CONTENT_TYPE_IMAGE"
    PRODUCT = "CONTENT_TYPE_PRODUCT"
    SYNTHETIC_MEDIA = "CONTENT_TYPE_SYNTHETIC_MEDIA"
    TEXT = "CONTENT_TYPE_TEXT"
    VIDEO = "CONTENT_TYPE_VIDEO"
    OTHER = "CONTENT_TYPE_OTHER"


class SourceType(StrEnum):
    ARTICLE_16 = "SOURCE_ARTICLE_16"  # a notice under DSA Article 16
    TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER"
    OTHER_NOTIFICATION = "SOURCE_TYPE_OTHER_NOTIFICATION"
    VOLUNTARY = "SOURCE_VOLUNTARY"  # own initiative, including automated detection


class AutomatedDecision(StrEnum):
    FULLY = "AUTOMATED_DECISION_FULLY"
    PARTIALLY = "AUTOMATED_DECISION_PARTIALLY"
    NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED"


YesNo = Literal["Yes", "No"]

DSA_CATEGORIES: frozenset[str] = frozenset(TAXONOMY.categories)
DSA_KEYWORDS: frozenset[str] = TAXONOMY.keywords

PUID_PATTERN = r"^[a-zA-Z0-9_-]+$"
"""The database's rule for `puid`: letters, digits, `-` and `_`, at most 500 characters."""

# The territorial scope is given in EEA member states (ISO 3166-1 alpha-2, Greece as "GR").
EEA_COUNTRIES: frozenset[str] = TAXONOMY.countries

# The database's date bounds: content from 2000 on, decisions from 2020 on (the DSA's drafting).
_EARLIEST_CONTENT = date(2000, 1, 1)
_EARLIEST_APPLICATION = date(2020, 1, 1)


class StatementOfReasons(BaseModel):
    """A DSA statement of reasons (Article 17), as the Transparency Database takes it.

    At least one of `decision_visibility`, `decision_monetary`, `decision_provision` and
    `decision_account` must be given. The ground decides which pair of explanation fields is
    required: `illegal_content_legal_ground` and `illegal_content_explanation` for illegal
    content, `incompatible_content_ground` and `incompatible_content_explanation` for content
    incompatible with the terms of service; the other pair must be absent.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    decision_visibility: list[DecisionVisibility] | None = None
    decision_visibility_other: str | None = Field(default=None, max_length=500)
    end_date_visibility_restriction: date | None = None
    decision_monetary: DecisionMonetary | None = None
    decision_monetary_other: str | None = Field(default=None, max_length=500)
    end_date_monetary_restriction: date | None = None
    decision_provision: DecisionProvision | None = None
    end_date_service_restriction: date | None = None
    decision_account: DecisionAccount | None = None
    end_date_account_restriction: date | None = None
    account_type: AccountType | None = None
    decision_ground: DecisionGround
    decision_ground_reference_url: str | None = Field(default=None, max_length=500)
    illegal_content_legal_ground: str | None = Field(default=None, max_length=500)
    illegal_content_explanation: str | None = Field(default=None, max_length=2000)
    incompatible_content_ground: str | None = Field(default=None, max_length=500)
    incompatible_content_explanation: str | None = Field(default=None, max_length=2000)
    incompatible_content_illegal: YesNo | None = None
    category: str
    category_addition: list[str] | None = None
    category_specification: list[str] | None = None
    category_specification_other: str | None = Field(default=None, max_length=500)
    content_type: list[ContentType] = Field(min_length=1)
    content_type_other: str | None = Field(default=None, max_length=500)
    content_language: str | None = None
    content_date: date
    application_date: date
    territorial_scope: list[str] = Field(min_length=1)
    decision_facts: str = Field(min_length=1, max_length=5000)
    source_type: SourceType
    source_identity: str | None = Field(default=None, max_length=500)
    automated_detection: YesNo
    automated_decision: AutomatedDecision
    puid: str = Field(min_length=1, max_length=500, pattern=PUID_PATTERN)
    """The platform's own unique identifier for this statement."""

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        problem = TAXONOMY.category_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("category_addition")
    @classmethod
    def _known_categories(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            problem = TAXONOMY.category_problem(item)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("category_specification")
    @classmethod
    def _known_keywords(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            problem = TAXONOMY.keyword_problem(item)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("content_language")
    @classmethod
    def _iso_639_1(cls, value: str | None) -> str | None:
        if value is not None and value not in TAXONOMY.languages:
            raise ValueError(f"{value!r} is not an ISO 639-1 language code (two upper-case letters)")
        return value

    @field_validator("decision_ground_reference_url")
    @classmethod
    def _a_url(cls, value: str | None) -> str | None:
        if value is not None and not is_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("territorial_scope")
    @classmethod
    def _eea_only(cls, value: list[str]) -> list[str]:
        for code in value:
            if code not in EEA_COUNTRIES:
                raise ValueError(f"{code!r} is not an EEA member state code")
        return sorted(set(value))

    @model_validator(mode="after")
    def _fields_go_together(self) -> StatementOfReasons:
        if not (
            self.decision_visibility
            or self.decision_monetary
            or self.decision_provision
            or self.decision_account
        ):
            raise ValueError(
                "decision_visibility: at least one of decision_visibility, decision_monetary, "
                "decision_provision and decision_account is required"
            )
        _paired(
            "decision_visibility_other",
            self.decision_visibility_other,
            DecisionVisibility.OTHER in (self.decision_visibility or []),
            "decision_visibility includes DECISION_VISIBILITY_OTHER",
        )
        _paired(
            "decision_monetary_other",
            self.decision_monetary_other,
            self.decision_monetary == DecisionMonetary.OTHER,
            "decision_monetary is DECISION_MONETARY_OTHER",
        )
        _paired(
            "content_type_other",
            self.content_type_other,
            ContentType.OTHER in self.content_type,
            "content_type includes CONTENT_TYPE_OTHER",
        )
        _paired(
            "category_specification_other",
            self.category_specification_other,
            "KEYWORD_OTHER" in (self.category_specification or []),
            "category_specification includes KEYWORD_OTHER",
        )
        illegal = self.decision_ground == DecisionGround.ILLEGAL_CONTENT
        for name in ("illegal_content_legal_ground", "illegal_content_explanation"):
            _paired(name, getattr(self, name), illegal, "decision_ground is DECISION_GROUND_ILLEGAL_CONTENT")
        for name in ("incompatible_content_ground", "incompatible_content_explanation"):
            _paired(
                name,
                getattr(self, name),
                not illegal,
                "decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT",
            )
        if self.incompatible_content_illegal is not None and illegal:
            raise ValueError(
                "incompatible_content_illegal: only for decision_ground DECISION_GROUND_INCOMPATIBLE_CONTENT"
            )
        if self.category in (self.category_addition or []):
            raise ValueError("category_addition: must not repeat category")
        if self.content_date < _EARLIEST_CONTENT:
            raise ValueError(f"content_date: must be on or after {_EARLIEST_CONTENT}")
        if self.application_date < _EARLIEST_APPLICATION:
            raise ValueError(f"application_date: must be on or after {_EARLIEST_APPLICATION}")
        if self.application_date < self.content_date:
            raise ValueError("application_date: must be on or after content_date")
        for name in (
            "end_date_visibility_restriction",
            "end_date_monetary_restriction",
            "end_date_service_restriction",
            "end_date_account_restriction",
        ):
            end = getattr(self, name)
            if end is not None and end < self.application_date:
                raise ValueError(f"{name}: must be on or after application_date")
        if self.end_date_account_restriction is not None and self.decision_account is None:
            raise ValueError("end_date_account_restriction: only with decision_account")
        if self.end_date_visibility_restriction is not None and not self.decision_visibility:
            raise ValueError("end_date_visibility_restriction: only with decision_visibility")
        return self

    def to_dsa_json(self) -> dict[str, Any]:
        """The JSON object for the Transparency Database: dates as YYYY-MM-DD, absent fields left out."""
        return self.model_dump(mode="json", exclude_none=True)


def is_url(value: str) -> bool:
    """Whether `value` is an absolute http(s) URL with a host, as the database's `url` rule wants."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and not re.search(r"\s", value)


def dsa_puid(*parts: str) -> str:
    """A `puid` the database takes, from the ids that make it unique (joined by `-`; any other
    character the pattern forbids becomes `-`). Stable: the same parts give the same puid."""
    return re.sub(r"[^a-zA-Z0-9_-]", "-", "-".join(parts))[:500]


def language_code(lang: str | None) -> str | None:
    """`content_language` from a message's BCP 47 `lang` (`en-GB` gives `EN`), or None where the
    primary subtag is not an ISO 639-1 code (a three-letter code, `und`)."""
    if not lang:
        return None
    primary = lang.split("-")[0].upper()
    return primary if primary in TAXONOMY.languages else None


def _paired(name: str, value: object, required: bool, condition: str) -> None:
    if required and not value:
        raise ValueError(f"{name}: required when {condition}")
    if not required and value:
        raise ValueError(f"{name}: only allowed when {condition}")


def parse_statement(data: dict[str, Any]) -> StatementOfReasons:
    """Validate a statement from JSON; raise `InvalidInput` naming the field at fault."""
    try:
        return StatementOfReasons.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(describe(error)) from None


def describe(error: ValidationError) -> str:
    """One line naming each field at fault, e.g. ``statement.category: 'X' is not a DSA statement category``."""
    parts = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        # Errors raised across fields already start with the field's name.
        parts.append(message if not location else f"{location}: {message}")
    return "; ".join(f"statement.{part}" if not part.startswith("statement.") else part for part in parts)


# ---------------------------------------------------------------- from a decision


def source_type_for(reporter_kinds: set[str]) -> SourceType:
    """The DSA source of a decision: a trusted flagger beats a notice beats own initiative."""
    if ReporterKind.TRUSTED_FLAGGER in reporter_kinds:
        return SourceType.TRUSTED_FLAGGER
    if reporter_kinds & {ReporterKind.USER, ReporterKind.TARGET, ReporterKind.DELEGATE}:
        return SourceType.ARTICLE_16
    return SourceType.VOLUNTARY


def effects_of(action: Action) -> dict[str, Any]:
    """What an action does, in the DSA's terms. `no_action` restricts nothing, so has no statement."""
    if action == Action.LABEL:
        return {"decision_visibility": [DecisionVisibility.CONTENT_LABELLED]}
    if action == Action.HIDE:
        return {"decision_visibility": [DecisionVisibility.CONTENT_DISABLED]}
    if action == Action.REMOVE:
        return {"decision_visibility": [DecisionVisibility.CONTENT_REMOVED]}
    if action == Action.RESTRICT_ACCOUNT:
        # The account keeps posting, but can no longer reach the people it targeted.
        return {
            "decision_visibility": [
                DecisionVisibility.CONTENT_REMOVED,
                DecisionVisibility.CONTENT_INTERACTION_RESTRICTED,
            ]
        }
    if action == Action.SUSPEND_ACCOUNT:
        return {
            "decision_visibility": [DecisionVisibility.CONTENT_REMOVED],
            "decision_account": DecisionAccount.SUSPENDED,
        }
    raise InvalidInput(f"action: {action.value!r} restricts nothing, so it has no statement of reasons")


def statement_required(action: Action) -> bool:
    return action != Action.NO_ACTION


def build_statement(
    *,
    puid: str,
    action: Action,
    ground: Literal["illegal", "incompatible"],
    legal_ground: str,
    explanation: str,
    category: str,
    keywords: tuple[str, ...],
    decision_facts: str,
    content_date: date,
    application_date: date,
    territorial_scope: tuple[str, ...],
    content_type: tuple[str, ...],
    reporter_kinds: set[str],
    automated_detection: bool,
    reference_url: str | None = None,
    content_language: str | None = None,
) -> StatementOfReasons:
    """A statement of reasons for `action` under a policy rule; `InvalidInput` names any field at fault."""
    illegal = ground == "illegal"
    data: dict[str, Any] = {
        **effects_of(action),
        "decision_ground": DecisionGround.ILLEGAL_CONTENT if illegal else DecisionGround.INCOMPATIBLE_CONTENT,
        "decision_ground_reference_url": reference_url,
        "category": category,
        "category_specification": list(keywords) or None,
        "content_type": list(content_type),
        "content_language": language_code(content_language),
        "content_date": content_date,
        "application_date": application_date,
        "territorial_scope": list(territorial_scope),
        "decision_facts": decision_facts,
        "source_type": source_type_for(reporter_kinds),
        "automated_detection": "Yes" if automated_detection else "No",
        # A person decides every item; the detector only detects and suggests.
        "automated_decision": AutomatedDecision.NOT_AUTOMATED,
        "puid": puid,
    }
    if illegal:
        data.update(illegal_content_legal_ground=legal_ground, illegal_content_explanation=explanation)
    else:
        data.update(incompatible_content_ground=legal_ground, incompatible_content_explanation=explanation)
    return parse_statement(data)
