"""Detection of intimidation in messages to people in public life.

`load_detector()` returns the shipped model (loaded once); `assess(texts)`
returns one `Assessment` per text. `flag()` re-applies thresholds to stored
probabilities, e.g. for a user's sensitivity setting.
"""

from hustings.detect.assessment import LABELS, Assessment, Characteristic, Detector, Evidence, Label
from hustings.detect.detector import (
    DetectorError,
    InvalidThresholdsError,
    ModelNotFoundError,
    OnnxDetector,
    default_thresholds,
    flag,
    load_detector,
)

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
