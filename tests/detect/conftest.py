"""Shared fixtures for the detector tests: the shipped model, loaded once per session."""

from __future__ import annotations

import pytest

from hustings.detect import OnnxDetector, load_detector


@pytest.fixture(scope="session")
def detector() -> OnnxDetector:
    return load_detector()
