"""The detector's vocabulary: labels, evidence and assessments.

This module is the contract between the detector and everything that consumes
its output (ingest, moderation, protection, referrals). It imports nothing from
the web layer, the ORM or the model runtime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class Label(StrEnum):
    """The five kinds of intimidation the detector scores, in display order."""

    THREAT = "threat"
    SEXUAL_HARASSMENT = "sexual_harassment"
    IDENTITY_HATE = "identity_hate"
    ABUSE = "abuse"
    DOXXING = "doxxing"


LABELS: tuple[Label, ...] = tuple(Label)


def threshold_for(key: str, value: object) -> tuple[Label, float]:
    """One per-label threshold, checked: `ValueError` names an unknown label, a non-number or a value outside 0..1."""
    try:
        label = Label(key)
    except ValueError:
        raise ValueError(
            f"unknown label {key!r}; expected one of {[label.value for label in LABELS]}"
        ) from None
    try:
        number = float(value)  # type: ignore[arg-type]  # anything float() takes; the rest is refused below
    except (TypeError, ValueError):
        raise ValueError(f"threshold for {label.value} is {value!r}, not a number") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"threshold for {label.value} is {value!r}; it must lie in 0..1")
    return label, number


class Characteristic(StrEnum):
    """The protected characteristic that an `identity_hate` flag is aimed at."""

    RACE = "race"
    RELIGION = "religion"
    SEX_GENDER = "sex_gender"
    SEXUAL_ORIENTATION = "sexual_orientation"
    GENDER_IDENTITY = "gender_identity"
    DISABILITY = "disability"
    NATIONALITY = "nationality"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the assessed text that drove a label, with a short reason.

    `start` and `end` are character offsets into the original text (not the
    normalised one), so `text == original[start:end]`.
    """

    label: Label
    start: int
    end: int
    text: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label.value,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a detector concluded about one text.

    `labels` holds a calibrated probability for every label; `flagged` lists,
    in `LABELS` order, the labels whose probability reached its configured
    threshold; `model` is "name@version" of the model that produced it.
    """

    labels: Mapping[Label, float]
    flagged: tuple[Label, ...]
    characteristic: Characteristic | None
    evidence: tuple[Evidence, ...]
    model: str
    severity: float = field(default=0.0)
    """0..1, the highest flagged probability weighted by label gravity; 0 when nothing is flagged."""

    @property
    def hostile(self) -> bool:
        return bool(self.flagged)

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": {label.value: round(float(self.labels[label]), 6) for label in LABELS},
            "flagged": [label.value for label in self.flagged],
            "characteristic": self.characteristic.value if self.characteristic else None,
            "evidence": [item.to_json() for item in self.evidence],
            "model": self.model,
            "severity": round(self.severity, 6),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Assessment:
        characteristic = data.get("characteristic")
        return cls(
            labels={Label(key): float(value) for key, value in data["labels"].items()},
            flagged=tuple(Label(value) for value in data["flagged"]),
            characteristic=Characteristic(characteristic) if characteristic else None,
            evidence=tuple(
                Evidence(
                    label=Label(item["label"]),
                    start=int(item["start"]),
                    end=int(item["end"]),
                    text=str(item["text"]),
                    reason=str(item["reason"]),
                )
                for item in data.get("evidence", [])
            ),
            model=str(data["model"]),
            severity=float(data.get("severity", 0.0)),
        )


@runtime_checkable
class Detector(Protocol):
    """Batch in, assessments out: the one interface every detector implements."""

    @property
    def model(self) -> str:
        """ "name@version" of the model behind this detector."""
        ...

    def assess(self, texts: Sequence[str]) -> list[Assessment]:
        """Assess a batch of texts; the result has one assessment per text, in order."""
        ...
