"""alt-profanity-check's model, scored directly.

The wheel's model is a TF-IDF vectorizer and a `CalibratedClassifierCV` of five linear SVMs with
sigmoid calibration. sklearn's `predict_proba` on it costs about a millisecond of Python
overhead per call; the same probabilities are one sparse product and a sigmoid, so this module
computes them that way (a test holds them equal to the package's own `predict_prob`).
It detects profanity and insults; it does not understand articulate harm.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata, resources

import joblib
import numpy as np

from gateway.checks.classifier import TextsJob, score_all


class ProfanityDetector:
    def __init__(self) -> None:
        data = resources.files("profanity_check") / "data"
        self._vectorizer = joblib.load(data / "vectorizer.joblib")
        model = joblib.load(data / "model.joblib")
        folds = model.calibrated_classifiers_
        positive = list(model.classes_).index(1)
        assert all(len(fold.calibrators) == 1 for fold in folds), "binary model expected"
        sign = 1.0 if positive == 1 else -1.0
        self._weights = np.stack([sign * fold.estimator.coef_[0] for fold in folds], axis=1)
        self._intercepts = np.array([sign * fold.estimator.intercept_[0] for fold in folds])
        self._a = np.array([fold.calibrators[0].a_ for fold in folds])
        self._b = np.array([fold.calibrators[0].b_ for fold in folds])
        self.version = f"alt-profanity-check {metadata.version('alt-profanity-check')}"

    def score(self, texts: list[str]) -> list[float]:
        decision = self._vectorizer.transform(texts) @ self._weights + self._intercepts
        probability = 1.0 / (1.0 + np.exp(self._a * decision + self._b))
        return [float(p) for p in probability.mean(axis=1)]

    def many(self, jobs: Sequence[TextsJob]) -> list[list[float]]:
        return score_all(self.score, jobs)
