"""The prompt-injection classifier at serving time: a trained artifact in, a score per text out.

The artifact is two files written by `training/injection.py`: `model/injection.tsv.gz` (per
n-gram: its block, the n-gram, its idf weight and its coefficient) and `model/injection.json`
(intercept, the calibration that turns the decision value into a probability, the threshold
chosen on the validation splits, where the data came from). Plain text, no pickle: loading it
runs no code, and a reviewer can read what the model weighs.

A text's score is the calibrated probability of its most suspicious piece (`text.pieces`):
`sigmoid(slope * (intercept + word_part + char_part) + offset)`, each part being the dot product
of the part's l2-normalised sublinear tf-idf vector with its coefficients, as scikit-learn
computes it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gateway.checks.injection import ngrams
from gateway.checks.injection.text import pieces

MODEL_DIR = Path(__file__).parent / "model"
WEIGHTS_FILE = "injection.tsv.gz"
META_FILE = "injection.json"

ANALYZERS: dict[str, Callable[[str], list[str]]] = {"words": ngrams.words, "chars": ngrams.chars}


class ArtifactError(RuntimeError):
    """The artifact is missing, truncated or does not match its recorded digest."""


@dataclass(frozen=True, slots=True)
class _Block:
    analyze: Callable[[str], list[str]]
    index: dict[str, int]
    idf: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]

    def part(self, text: str) -> float:
        counts = Counter(self.analyze(text))
        lookup = self.index.get
        positions = np.fromiter((lookup(gram, -1) for gram in counts), dtype=np.int64, count=len(counts))
        known = positions >= 0
        if not known.any():
            return 0.0
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[known]
        found = positions[known]
        weights = (1.0 + np.log(tf)) * self.idf[found]
        norm = math.sqrt(float(weights @ weights))
        return float(weights @ self.coef[found]) / norm


def weights_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class InjectionClassifier:
    def __init__(self, meta: dict[str, object], blocks: dict[str, _Block]) -> None:
        self._blocks = blocks
        self._intercept = float(meta["intercept"])  # type: ignore[arg-type]
        calibration = meta["calibration"]
        assert isinstance(calibration, dict)
        self._slope = float(calibration["slope"])
        self._offset = float(calibration["offset"])
        self.threshold = float(meta["threshold"])  # type: ignore[arg-type]
        self.version = str(meta["version"])

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> InjectionClassifier:
        try:
            meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
            raw = gzip.decompress((directory / WEIGHTS_FILE).read_bytes())
        except (OSError, ValueError, EOFError) as exc:
            raise ArtifactError(f"prompt-injection model in {directory} cannot be read: {exc}") from exc
        if weights_digest(raw) != meta.get("weights_sha256"):
            raise ArtifactError(f"prompt-injection weights in {directory} do not match {META_FILE}")
        columns: dict[str, tuple[dict[str, int], list[float], list[float]]] = {
            name: ({}, [], []) for name in ANALYZERS
        }
        for line in raw.decode("utf-8").splitlines():
            block, gram, idf, coef = line.split("\t")
            index, idfs, coefs = columns[block]
            index[gram] = len(idfs)
            idfs.append(float(idf))
            coefs.append(float(coef))
        blocks = {
            name: _Block(ANALYZERS[name], index, np.asarray(idfs), np.asarray(coefs))
            for name, (index, idfs, coefs) in columns.items()
        }
        return cls(meta, blocks)

    def decision(self, normal_text: str) -> float:
        """The linear model's raw decision value for one piece already in normal form."""
        return self._intercept + sum(block.part(normal_text) for block in self._blocks.values())

    def probability(self, decision: float) -> float:
        z = self._slope * decision + self._offset
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def score(self, text: str) -> float:
        """The probability that `text` carries an injection: that of its most suspicious piece."""
        return self.probability(max(self.decision(piece) for piece in pieces(text)))

    def score_many(self, texts: Sequence[str]) -> list[float]:
        return [self.score(text) for text in texts]
