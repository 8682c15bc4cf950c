"""Detection of intimidation in messages to people in public life.

`load_detector()` returns the shipped model (loaded once); `assess(texts)`
returns one `Assessment` per text. `flag()` re-applies thresholds to stored
probabilities, e.g. for a user's sensitivity setting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hustings.detect.assessment import LABELS, Assessment, Characteristic, Detector, Evidence, Label

if TYPE_CHECKING:
    from hustings.detect.detector import (
        DetectorError,
        InvalidThresholdsError,
        ModelNotFoundError,
        OnnxDetector,
        default_thresholds,
        flag,
        load_detector,
    )


def __getattr__(name: str) -> Any:
    """The runtime (onnxruntime, tokenizers, numpy) is imported on first use, not with the vocabulary."""
    if name in __all__:  # only names not already bound here reach this: those of `detector`
        from hustings.detect import detector

        return getattr(detector, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LABELS",
    "Assessment",
    "Characteristic",
    "Detector",
    "DetectorError",
    "Evidence",
    "InvalidThresholdsError",
    "Label",
    "ModelNotFoundError",
    "OnnxDetector",
    "default_thresholds",
    "flag",
    "load_detector",
]
