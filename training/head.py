"""A small multi-label logistic head on frozen sentence embeddings, in numpy.

Used by the tests to overfit a tiny set in well under a minute (full
fine-tuning needs torch and minutes of CPU), and handy for quick experiments
on the shipped model's pooled embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class LogisticHead:
    weights: np.ndarray  # (features, labels)
    bias: np.ndarray  # (labels,)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias))), dtype=np.float64)


def fit_head(x: np.ndarray, y: np.ndarray, epochs: int = 500, learning_rate: float = 0.5, l2: float = 1e-4) -> LogisticHead:
    """Full-batch gradient descent on the mean binary cross-entropy; deterministic (zero init)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    weights = np.zeros((x.shape[1], y.shape[1]))
    bias = np.zeros(y.shape[1])
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-(z @ weights + bias)))
        grad = (p - y) / len(x)
        weights -= learning_rate * (z.T @ grad + l2 * weights)
        bias -= learning_rate * grad.sum(axis=0)
    # Fold the standardisation into the weights so callers pass raw embeddings.
    folded = weights / scale[:, None]
    return LogisticHead(weights=folded, bias=bias - mean @ folded)
