"""Topic similarity: how well a sentence of a request covers a topic's name or one of its examples.

A phrase (the topic's name or an example) is covered by a sentence when each of its entries
(words, or word pieces) has a near neighbour among the sentence's entries: the score is the
weighted mean, over the phrase's entries, of the best cosine of each with any entry of the
sentence. "how do I make meth from cold medicine" covers "how to cook methamphetamine" (how ~
how, cook ~ make, methamphetamine ~ meth) though the two share one word; "what is the history of
the opium wars" covers "how to cook methamphetamine" poorly. Compared with the cosine of two
mean vectors, rare content words are not drowned by the rest of the sentence; see
BENCHMARKS.md "Banned topics" for what was measured.

A long sentence has more entries to pick neighbours from, so it would cover any phrase a little
better the longer it is: it is compared in overlapping windows of `WINDOW` entries.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gateway.checks.sentences import sentences
from gateway.checks.topics.config import Topic
from gateway.checks.topics.embeddings import Embeddings

TopicsJob = tuple[tuple[str, ...], tuple[Topic, ...]]  # a request's texts, the tenant's topics
WINDOW = 16  # entries of a sentence compared at once (a request of the labelled set has 5-20)
_STRIDE = WINDOW // 2
_ANCHOR_SETS = 64  # distinct topic lists kept embedded (one per tenant policy, usually)


@dataclass(frozen=True, slots=True)
class Anchors:
    """A topic list's phrases, entry by entry."""

    vectors: np.ndarray  # every phrase's entries, one unit row each
    shares: np.ndarray  # each entry's weight over its phrase's total weight
    starts: np.ndarray  # the first row of each phrase
    owner: np.ndarray  # the topic each phrase belongs to


def windows(length: int) -> list[tuple[int, int]]:
    """Overlapping spans of at most `WINDOW` entries that together cover `length` entries."""
    if length <= WINDOW:
        return [(0, length)]
    starts = list(range(0, length - WINDOW + 1, _STRIDE))
    if starts[-1] + WINDOW < length:
        starts.append(length - WINDOW)
    return [(start, start + WINDOW) for start in starts]


class TopicDetector:
    def __init__(self) -> None:
        self._embeddings = Embeddings()
        self.version = self._embeddings.version
        self._anchors: OrderedDict[tuple[Topic, ...], Anchors | None] = OrderedDict()

    def many(self, jobs: Sequence[TopicsJob]) -> list[list[float]]:
        """For each job, the best coverage of each topic by any of its sentences."""
        return [self.scores(texts, topics) for texts, topics in jobs]

    def scores(self, texts: Sequence[str], topics: tuple[Topic, ...]) -> list[float]:
        anchors = self._anchors_of(topics)
        spans: list[tuple[int, int]] = []
        ids: list[int] = []
        for text in texts:
            for piece in sentences(text):
                entries = self._embeddings.tokens(piece)
                spans += [(len(ids) + start, len(ids) + end) for start, end in windows(len(entries))]
                ids += entries
        if anchors is None or not ids:
            return [0.0] * len(topics)
        similarity = self._embeddings.vectors[ids] @ anchors.vectors.T  # entries x phrase entries
        nearest = np.stack([similarity[start:end].max(axis=0) for start, end in spans if end > start])
        coverage = np.add.reduceat(nearest * anchors.shares, anchors.starts, axis=1).max(axis=0)
        return [
            float(coverage[anchors.owner == index].max()) if (anchors.owner == index).any() else 0.0
            for index in range(len(topics))
        ]

    def _anchors_of(self, topics: tuple[Topic, ...]) -> Anchors | None:
        """Each topic's name and examples, cut into entries once; None when none has any."""
        if topics in self._anchors:
            self._anchors.move_to_end(topics)
            return self._anchors[topics]
        phrases = [
            (index, ids)
            for index, topic in enumerate(topics)
            for phrase in (topic.name, *topic.examples)
            if (ids := self._embeddings.tokens(phrase))
        ]
        entry = None
        if phrases:
            ids = [i for _, phrase in phrases for i in phrase]
            weights = self._embeddings.weights[ids]
            starts = np.cumsum([0] + [len(phrase) for _, phrase in phrases[:-1]])
            totals = np.add.reduceat(weights, starts)
            shares = weights / (np.repeat(totals, [len(phrase) for _, phrase in phrases]) + 1e-12)
            owner = np.array([index for index, _ in phrases])
            entry = Anchors(self._embeddings.vectors[ids], shares, starts, owner)
        self._anchors[topics] = entry
        if len(self._anchors) > _ANCHOR_SETS:
            self._anchors.popitem(last=False)
        return entry
