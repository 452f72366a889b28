"""Topic similarity: each sentence of a request against each topic's name and examples."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from gateway.checks.sentences import sentences
from gateway.checks.topics.config import Topic
from gateway.checks.topics.embeddings import Embeddings

TopicsJob = tuple[tuple[str, ...], tuple[Topic, ...]]  # a request's texts, the tenant's topics
_ANCHOR_SETS = 64  # distinct topic lists kept embedded (one per tenant policy, usually)


class TopicDetector:
    def __init__(self) -> None:
        self._embeddings = Embeddings()
        self.version = self._embeddings.version
        self._anchors: OrderedDict[tuple[Topic, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def many(self, jobs: Sequence[TopicsJob]) -> list[list[float]]:
        """For each job, the highest similarity of any of its sentences to each topic."""
        return [self.scores(texts, topics) for texts, topics in jobs]

    def scores(self, texts: Sequence[str], topics: tuple[Topic, ...]) -> list[float]:
        pieces = [piece for text in texts for piece in sentences(text) if piece.strip()]
        if not pieces:
            return [0.0] * len(topics)
        anchors, owner = self._anchors_of(topics)
        similarity = self._embeddings.embed(pieces) @ anchors.T  # sentences x anchors
        best = similarity.max(axis=0)
        return [float(best[owner == index].max()) for index in range(len(topics))]

    def _anchors_of(self, topics: tuple[Topic, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Each topic's name and examples, embedded once; and which topic each row belongs to."""
        if topics in self._anchors:
            self._anchors.move_to_end(topics)
            return self._anchors[topics]
        phrases = [(index, phrase) for index, t in enumerate(topics) for phrase in (t.name, *t.examples)]
        vectors = self._embeddings.embed([phrase for _, phrase in phrases])
        entry = vectors, np.array([index for index, _ in phrases])
        self._anchors[topics] = entry
        if len(self._anchors) > _ANCHOR_SETS:
            self._anchors.popitem(last=False)
        return entry
