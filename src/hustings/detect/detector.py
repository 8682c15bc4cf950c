"""The shipped detector: a fine-tuned MiniLM encoder in int8 ONNX, run with onnxruntime.

Runtime needs onnxruntime, tokenizers and numpy only. The model folder holds
`model.onnx`, `tokenizer.json` and `config.json` (name, version, Platt
calibration per label, per-label thresholds and the operating point).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from hustings.detect.assessment import LABELS, Assessment, Characteristic, Label, threshold_for
from hustings.detect.evidence import find_evidence
from hustings.detect.intent import THREAT_FLOOR, explicit_threat
from hustings.detect.normalise import Normalised, normalise
from hustings.errors import HustingsError

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "model"

# How grave each label is, for `Assessment.severity`: a threat outranks an insult
# at the same confidence.
GRAVITY: Mapping[Label, float] = {
    Label.THREAT: 1.0,
    Label.SEXUAL_HARASSMENT: 0.9,
    Label.DOXXING: 0.9,
    Label.IDENTITY_HATE: 0.8,
    Label.ABUSE: 0.6,
}


class DetectorError(HustingsError):
    """Base of the detector's expected failures."""


class ModelNotFoundError(DetectorError):
    """The model folder or one of its files is missing or unreadable."""


class InvalidThresholdsError(DetectorError, ValueError):
    """A threshold names an unknown label or lies outside 0..1."""


def flag(
    labels: Mapping[Label, float], thresholds: Mapping[Label, float] | Mapping[str, float]
) -> tuple[Label, ...]:
    """Labels whose probability reaches its threshold, in `LABELS` order.

    Pure, so stored probabilities can be re-thresholded for a user's
    sensitivity setting without running the model again.
    """
    resolved = _resolve_thresholds(thresholds, base=None)
    return tuple(label for label in LABELS if label in labels and float(labels[label]) >= resolved[label])


def _resolve_thresholds(
    thresholds: Mapping[Label, float] | Mapping[str, float], base: Mapping[Label, float] | None
) -> dict[Label, float]:
    resolved: dict[Label, float] = dict(base) if base is not None else {}
    for key, value in thresholds.items():
        try:
            label, number = threshold_for(key, value)
        except ValueError as problem:
            raise InvalidThresholdsError(str(problem)) from None
        resolved[label] = number
    missing = [label.value for label in LABELS if label not in resolved]
    if missing:
        raise InvalidThresholdsError(f"thresholds missing for {missing}")
    return resolved


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """What `config.json` beside the model says."""

    name: str
    version: str
    max_length: int
    characteristics: tuple[str, ...]
    calibration: Mapping[Label, tuple[float, float]]
    thresholds: Mapping[Label, float]
    operating_point: str

    @classmethod
    def read(cls, model_dir: Path) -> ModelConfig:
        path = model_dir / "config.json"
        try:
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ModelNotFoundError(f"cannot read detector config {path}: {error}") from error
        return cls(
            name=str(raw["name"]),
            version=str(raw["version"]),
            max_length=int(raw.get("max_length", 128)),
            characteristics=tuple(raw["characteristics"]),
            calibration={
                Label(k): (float(v["a"]), float(v["b"])) for k, v in dict(raw["calibration"]).items()
            },
            thresholds=_resolve_thresholds(dict(raw["thresholds"]), base=None),
            operating_point=str(raw.get("operating_point", "")),
        )


def default_thresholds(model_dir: Path | None = None) -> dict[Label, float]:
    """The per-label thresholds shipped with the model (the documented operating point)."""
    return dict(ModelConfig.read(model_dir or DEFAULT_MODEL_DIR).thresholds)


class OnnxDetector:
    """Scores texts with the int8 ONNX model; implements `Detector`.

    Each text is run on its own (no padding, no batch partners), so a text's
    scores never depend on its batch; batches are spread over a thread pool.
    """

    def __init__(
        self, model_dir: Path, thresholds: Mapping[Label, float] | Mapping[str, float] | None = None
    ):
        self._dir = model_dir
        self._config = ModelConfig.read(model_dir)
        self._thresholds = _resolve_thresholds(thresholds or {}, base=self._config.thresholds)
        try:
            self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except Exception as error:  # tokenizers raises its own Exception type
            raise ModelNotFoundError(f"cannot read tokenizer in {model_dir}: {error}") from error
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self._config.max_length)
        threads = int(os.environ.get("HUSTINGS_DETECT_THREADS", "0")) or (os.cpu_count() or 1)
        # Two sessions over the same file: one that spreads a lone message over every core
        # (latency), and one single-threaded session that a pool of `threads` workers runs
        # concurrently, one message each (throughput). Every message is run on its own, so
        # its scores never depend on what else was sent with it.
        self._single = self._session(model_dir, threads)
        self._pooled = self._session(model_dir, 1) if threads > 1 else self._single
        self._pool = (
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="detect") if threads > 1 else None
        )
        self._a = np.array([self._config.calibration[label][0] for label in LABELS], dtype=np.float64)
        self._b = np.array([self._config.calibration[label][1] for label in LABELS], dtype=np.float64)

    @staticmethod
    def _session(model_dir: Path, threads: int) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            return ort.InferenceSession(
                str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises non-typed errors for missing or corrupt files
            raise ModelNotFoundError(f"cannot load detector model in {model_dir}: {error}") from error

    @property
    def model(self) -> str:
        return f"{self._config.name}@{self._config.version}"

    @property
    def thresholds(self) -> dict[Label, float]:
        return dict(self._thresholds)

    @property
    def model_dir(self) -> Path:
        return self._dir

    def with_thresholds(self, thresholds: Mapping[Label, float] | Mapping[str, float]) -> OnnxDetector:
        """The same model at another operating point (shares this detector's sessions)."""
        resolved = _resolve_thresholds(thresholds, base=self._thresholds)
        other = copy.copy(self)
        other._thresholds = resolved
        return other

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Calibrated label probabilities, characteristic logits and pooled embeddings, one row per text."""
        probs, chars, embeddings, _ = self._score(texts)
        return probs, chars, embeddings

    def _score(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Normalised]]:
        """`scores` plus each text's normalised form, which evidence reuses rather than recomputes."""
        if len(texts) > 1 and self._pool is not None:
            outputs = list(self._pool.map(self._run_pooled, texts))
        else:
            outputs = [self._run(self._single, text) for text in texts]
        if not outputs:
            return (np.zeros((0, len(LABELS))), np.zeros((0, len(self._config.characteristics))),
                    np.zeros((0, 0), dtype=np.float32), [])  # fmt: skip
        z = np.stack([out[0] for out in outputs]).astype(np.float64)
        probs = 1.0 / (1.0 + np.exp(-(self._a * z + self._b)))
        # The explainable layer for explicit threats only ever raises the threat score (detect/intent.py).
        threat = LABELS.index(Label.THREAT)
        for i, out in enumerate(outputs):
            if probs[i, threat] < THREAT_FLOOR and explicit_threat(out[3].text) is not None:
                probs[i, threat] = THREAT_FLOOR
        chars = np.stack([out[1] for out in outputs]).astype(np.float64)
        embeddings = np.stack([out[2] for out in outputs]).astype(np.float32)
        return probs, chars, embeddings, [out[3] for out in outputs]

    def _run_pooled(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, Normalised]:
        return self._run(self._pooled, text)

    def _run(
        self, session: ort.InferenceSession, text: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Normalised]:
        """One message through the model: normalise, tokenise, run (no padding, no batch partners)."""
        normalised = normalise(text)
        ids = np.array([self._tokenizer.encode(normalised.text).ids], dtype=np.int64)
        logits, char_logits, pooled = session.run(
            ["logits", "characteristic_logits", "embedding"],
            {"input_ids": ids, "attention_mask": np.ones_like(ids)},
        )
        return np.asarray(logits)[0], np.asarray(char_logits)[0], np.asarray(pooled)[0], normalised

    def assess(self, texts: Sequence[str]) -> list[Assessment]:
        """Assess a batch of texts; one assessment per text, in order."""
        if isinstance(texts, str):
            raise TypeError("assess() takes a sequence of texts, not a single string")
        if not texts:
            return []
        probs, chars, _, normalised = self._score(texts)
        return [self._assessment(text, normalised[i], probs[i], chars[i]) for i, text in enumerate(texts)]

    def _assessment(
        self, text: str, normalised: Normalised, probs: np.ndarray, char_logits: np.ndarray
    ) -> Assessment:
        labels = {label: float(round(probs[j], 6)) for j, label in enumerate(LABELS)}
        flagged = flag(labels, self._thresholds)
        characteristic: Characteristic | None = None
        if Label.IDENTITY_HATE in flagged:
            # Skip "none" (index 0): identity hate was flagged, so name the likeliest characteristic.
            best = int(np.argmax(char_logits[1:])) + 1
            characteristic = Characteristic(self._config.characteristics[best])
        evidence = find_evidence(text, normalised, flagged, labels) if flagged else ()
        severity = max((labels[label] * GRAVITY[label] for label in flagged), default=0.0)
        return Assessment(
            labels=labels,
            flagged=flagged,
            characteristic=characteristic,
            evidence=evidence,
            model=self.model,
            severity=round(severity, 6),
        )


@lru_cache(maxsize=1)
def _default_detector() -> OnnxDetector:
    return OnnxDetector(DEFAULT_MODEL_DIR)


def load_detector(
    model_dir: Path | None = None, thresholds: Mapping[Label, float] | Mapping[str, float] | None = None
) -> OnnxDetector:
    """Load the detector; the shipped model at its shipped thresholds is loaded once and cached.

    `thresholds` overrides some or all of the per-label thresholds in the
    model's config; on the shipped model it shares the cached one's sessions
    rather than loading the model again. Raises `ModelNotFoundError` or
    `InvalidThresholdsError`.
    """
    if model_dir is None:
        return _default_detector().with_thresholds(thresholds) if thresholds else _default_detector()
    return OnnxDetector(model_dir, thresholds)
