"""Training pieces: a tiny set can be overfitted, calibration and label mapping behave."""

from __future__ import annotations

import random

import numpy as np
from training import augment
from training.data import _olid_labels, characteristic_from_keywords
from training.head import fit_head
from training.train import platt

from hustings.detect import OnnxDetector

TINY = [
    ("the bins were not collected again this week", [0, 0]),
    ("great turnout at the hustings last night", [0, 0]),
    ("I will find you and hurt you", [1, 0]),
    ("your address is 4 Elm Road and we are coming", [1, 1]),
    ("the library closure vote is on Tuesday", [0, 0]),
    ("someone should stab that councillor", [1, 0]),
    ("her kids go to St Mary's, pick up at 3", [0, 1]),
    ("thanks for answering my email so quickly", [0, 0]),
    ("he lives at 22 Mill Lane, BD7 1AA", [0, 1]),
    ("you will not survive the next election night", [1, 0]),
]


def test_overfits_a_tiny_set_on_frozen_embeddings(detector: OnnxDetector) -> None:
    _, _, embeddings = detector.scores([text for text, _ in TINY])
    y = np.array([labels for _, labels in TINY], dtype=float)
    head = fit_head(embeddings, y, epochs=400)
    predicted = head.predict_proba(embeddings) >= 0.5
    assert (predicted == y.astype(bool)).all()
    # The untrained head (all zeros) would predict 0.5 everywhere: training moved it.
    assert np.abs(head.predict_proba(embeddings) - y).max() < 0.2


def test_platt_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 4000)
    p = 1 / (1 + np.exp(-(0.5 * z - 1.0)))
    y = (rng.random(4000) < p).astype(float)
    a, b = platt(z, y)
    assert abs(a - 0.5) < 0.1 and abs(b + 1.0) < 0.15


def test_olid_mapping() -> None:
    assert _olid_labels("NOT", "NULL", "NULL", "x") == ({}, None)
    assert _olid_labels("OFF", "TIN", "IND", "x") == ({"abuse": 1.0}, None)
    assert _olid_labels("OFF", "UNT", "NULL", "x") == ({"abuse": 0.4}, None)
    assert _olid_labels("OFF", "TIN", "GRP", "muslims are scum") == ({"identity_hate": 1.0}, "religion")
    assert _olid_labels("OFF", "TIN", "GRP", "liberals are scum") == ({"abuse": 0.7}, None)


def test_characteristic_keywords() -> None:
    assert characteristic_from_keywords("those immigrants again") == "nationality"
    assert characteristic_from_keywords("the weather") is None


def test_augmentation_keeps_labels_and_changes_text() -> None:
    rng = random.Random(1)
    row = {"text": "I will destroy your office tonight", "labels": {"threat": 1.0}, "source": "x"}
    noisy = [augment.obfuscate(row, rng) for _ in range(20)]
    assert all(n["labels"] == row["labels"] for n in noisy)
    assert any(n["text"] != row["text"] for n in noisy)
