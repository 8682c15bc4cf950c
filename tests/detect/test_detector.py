"""The shipped detector honours the contract: deterministic, batch-independent, reloadable, explainable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hustings.detect import (
    LABELS,
    Assessment,
    Detector,
    InvalidThresholdsError,
    Label,
    ModelNotFoundError,
    OnnxDetector,
    default_thresholds,
    flag,
    load_detector,
)
from hustings.detect.detector import DEFAULT_MODEL_DIR

TEXTS = [
    "I know where you live and I'm going to hurt your kids",
    "Thank you for fixing the streetlights on our road",
    "Muslims are vermin and should all be deported",
    "Your vote on the housing bill was a disgrace. Resign.",
    "You are a pathetic, disgusting little worm",
    "She lives at 12 Mill Close, LS6 2AB. Pay her a visit.",
    "",
    "ok",
]


def test_is_a_detector_with_a_versioned_model(detector: OnnxDetector) -> None:
    assert isinstance(detector, Detector)
    name, _, version = detector.model.partition("@")
    assert name == "hustings-intimidation" and version.count(".") == 2


def test_every_label_gets_a_probability(detector: OnnxDetector) -> None:
    for assessment in detector.assess(TEXTS):
        assert set(assessment.labels) == set(LABELS)
        assert all(0.0 <= p <= 1.0 for p in assessment.labels.values())
        assert 0.0 <= assessment.severity <= 1.0
        assert assessment.model == detector.model


def test_same_text_same_answer(detector: OnnxDetector) -> None:
    assert detector.assess(TEXTS) == detector.assess(TEXTS)


def test_batch_equals_single(detector: OnnxDetector) -> None:
    batch = detector.assess(TEXTS)
    singles = [detector.assess([text])[0] for text in TEXTS]
    assert batch == singles
    reordered = detector.assess(list(reversed(TEXTS)))
    assert list(reversed(reordered)) == batch


def test_save_reload_gives_the_same_predictions(detector: OnnxDetector, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, copy)
    reloaded = load_detector(copy)
    assert reloaded is not detector
    assert reloaded.assess(TEXTS) == detector.assess(TEXTS)
    # The serialised form round-trips too (the moderation log stores it).
    for assessment in detector.assess(TEXTS):
        assert Assessment.from_json(assessment.to_json()) == assessment


def test_default_is_loaded_once() -> None:
    assert load_detector() is load_detector()


def test_flags_follow_the_thresholds(detector: OnnxDetector) -> None:
    thresholds = detector.thresholds
    for assessment in detector.assess(TEXTS):
        assert assessment.flagged == flag(assessment.labels, thresholds)
        assert assessment.hostile == bool(assessment.flagged)


def test_flag_is_a_pure_rethresholding_helper() -> None:
    probs = {Label.THREAT: 0.6, Label.SEXUAL_HARASSMENT: 0.1, Label.IDENTITY_HATE: 0.3, Label.ABUSE: 0.9,
             Label.DOXXING: 0.0}  # fmt: skip
    strict = dict.fromkeys(LABELS, 0.95)
    lax = dict.fromkeys(LABELS, 0.25)
    assert flag(probs, strict) == ()
    assert flag(probs, lax) == (Label.THREAT, Label.IDENTITY_HATE, Label.ABUSE)
    assert flag(probs, {label.value: 0.5 for label in LABELS}) == (Label.THREAT, Label.ABUSE)


def test_thresholds_come_from_config_and_can_be_overridden() -> None:
    shipped = default_thresholds()
    assert set(shipped) == set(LABELS)
    everything = load_detector(thresholds={label.value: 0.0 for label in LABELS})
    assert everything.thresholds == dict.fromkeys(LABELS, 0.0)
    assert all(a.flagged == LABELS for a in everything.assess(["hello there"]))
    only_threat = load_detector(thresholds={"threat": 1.0})
    assert only_threat.thresholds[Label.THREAT] == 1.0
    assert only_threat.thresholds[Label.ABUSE] == shipped[Label.ABUSE]


@pytest.mark.parametrize("bad", [{"menace": 0.5}, {"threat": 1.5}, {"abuse": -0.1}])
def test_bad_thresholds_are_refused_by_name(bad: dict[str, float]) -> None:
    with pytest.raises(InvalidThresholdsError, match=next(iter(bad))):
        load_detector(thresholds=bad)


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="config"):
        load_detector(tmp_path)


def test_evidence_points_at_the_original_text(detector: OnnxDetector) -> None:
    text = "I will k1ll you at your surgery, 🔪"
    (assessment,) = detector.assess([text])
    assert Label.THREAT in assessment.flagged
    assert assessment.evidence
    for item in assessment.evidence:
        assert item.label in assessment.flagged
        assert text[item.start : item.end] == item.text
        assert item.reason
    assert any("k1ll" in item.text for item in assessment.evidence)


def test_identity_hate_names_a_characteristic(detector: OnnxDetector) -> None:
    (assessment,) = detector.assess(["Muslims are vermin and should all be deported"])
    assert Label.IDENTITY_HATE in assessment.flagged
    assert assessment.characteristic is not None
    (clean,) = detector.assess(["Thank you for fixing the streetlights"])
    assert clean.flagged == () and clean.characteristic is None and clean.evidence == ()
    assert clean.severity == 0.0


def test_a_single_string_is_refused(detector: OnnxDetector) -> None:
    with pytest.raises(TypeError):
        detector.assess("not a list")  # type: ignore[arg-type]  # the mistake under test


def test_empty_batch(detector: OnnxDetector) -> None:
    assert detector.assess([]) == []
