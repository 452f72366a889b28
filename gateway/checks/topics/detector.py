"""Topic similarity: how well a sentence of a request covers a topic's name and examples.

A phrase (the topic's name or an example) is covered by a sentence when each of its entries
(words, or word pieces) has a near neighbour among the sentence's entries. For an example the
score is the weighted mean, over the phrase's entries, of the best cosine of each with any entry
of the sentence. "how do I make meth from cold medicine" covers "how to cook methamphetamine"
(how ~ how, cook ~ make, methamphetamine ~ meth) though the two share one word; "what is the
history of the opium wars" covers "how to cook methamphetamine" poorly. Compared with the cosine
of two mean vectors, rare content words are not drowned by the rest of the sentence.

Three rules on top, each measured on the dev split (BENCHMARKS.md "Banned topics"):

- A topic is the mean of its two best-covered phrases (its only one when it has one): a request
  on the topic resembles more than one way the admin put it, while a request that shares a
  word or the shape of one example ("what is ...", "how do I ...") rarely covers a second.
- A name is a short definition whose words are all needed: it is covered by the weighted
  geometric mean of its words' best cosines, so a word of the name that the sentence lacks
  pulls the score down more than in the mean ("my medical records" matches "medical" alone).
- A topic's score is lowered by a quarter of how far its level on generic text (`generic.py`)
  lies above a typical topic's: phrases made mostly of everyday words ("what illness do I have
  given my symptoms") are covered a little by any request, phrases of rare words hardly at all.

A long sentence has more entries to pick neighbours from, so it would cover any phrase a little
better the longer it is: it is compared in overlapping windows of `WINDOW` entries.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from gateway.checks.sentences import sentences
from gateway.checks.topics.config import Topic
from gateway.checks.topics.embeddings import Embeddings
from gateway.checks.topics.generic import generic_windows

TopicsJob = tuple[tuple[str, ...], tuple[Topic, ...]]  # a request's texts, the tenant's topics
WINDOW = 16  # entries of a sentence compared at once (a request of the labelled set has 5-20)
BEST_PHRASES = 2  # a topic's score: the mean of its phrases covered best by one window
LEVEL_WEIGHT = 0.25  # share of a topic's level on generic text taken off its score
TYPICAL_LEVEL = 0.35  # a typical topic's level on generic text (it moves every score alike)
_NAME_FLOOR = 0.05  # a name word with no neighbour at all counts as this weak a match, not as zero
_STRIDE = WINDOW // 2
_ANCHOR_SETS = 64  # distinct topic lists kept embedded (one per tenant policy, usually)


@dataclass(frozen=True, slots=True)
class Anchors:
    """A topic list's phrases, entry by entry."""

    vectors: np.ndarray  # every phrase's entries, one unit row each
    shares: np.ndarray  # each entry's weight over its phrase's total weight
    starts: np.ndarray  # the first row of each phrase
    owner: np.ndarray  # the topic each phrase belongs to
    names: np.ndarray  # whether each phrase is its topic's name
    topics: int  # how many topics the list has
    offsets: np.ndarray  # per topic: taken off its score (`LEVEL_WEIGHT` of its level above typical)


def windows(length: int) -> list[tuple[int, int]]:
    """Overlapping spans of at most `WINDOW` entries that together cover `length` entries."""
    if length <= WINDOW:
        return [(0, length)]
    starts = list(range(0, length - WINDOW + 1, _STRIDE))
    if starts[-1] + WINDOW < length:
        starts.append(length - WINDOW)
    return [(start, start + WINDOW) for start in starts]


def topic_scores(nearest: np.ndarray, anchors: Anchors) -> np.ndarray:
    """Windows x topics: from each window's best cosine with every phrase entry (windows x entries),
    each topic's mean coverage of its `BEST_PHRASES` best-covered phrases (0 for a topic with none)."""
    mean = np.add.reduceat(nearest * anchors.shares, anchors.starts, axis=1)
    logs = np.log(np.clip(nearest, _NAME_FLOOR, 1.0)) * anchors.shares
    geometric = np.exp(np.add.reduceat(logs, anchors.starts, axis=1))
    coverage = np.where(anchors.names, geometric, mean)  # windows x phrases
    out = np.zeros((len(nearest), anchors.topics))
    for index in range(anchors.topics):
        own = coverage[:, anchors.owner == index]
        if own.shape[1]:
            best = min(BEST_PHRASES, own.shape[1])
            out[:, index] = np.sort(own, axis=1)[:, -best:].mean(axis=1)
    return out


class TopicDetector:
    def __init__(self) -> None:
        self._embeddings = Embeddings()
        self.version = self._embeddings.version
        self._generic = generic_windows(self._embeddings.cutter)
        self._anchors: OrderedDict[tuple[Topic, ...], Anchors | None] = OrderedDict()

    def many(self, jobs: Sequence[TopicsJob]) -> list[list[float]]:
        """For each job, each topic's best score over its sentences."""
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
        best = topic_scores(nearest, anchors).max(axis=0) - anchors.offsets
        return [float(score) for score in np.clip(best, 0.0, 1.0)]

    def _anchors_of(self, topics: tuple[Topic, ...]) -> Anchors | None:
        """Each topic's name and examples, cut into entries once; None when none has any."""
        if topics in self._anchors:
            self._anchors.move_to_end(topics)
            return self._anchors[topics]
        phrases = [
            (index, position == 0, ids)
            for index, topic in enumerate(topics)
            for position, phrase in enumerate((topic.name, *topic.examples))
            if (ids := self._embeddings.tokens(phrase))
        ]
        entry = None
        if phrases:
            ids = [i for _, _, phrase in phrases for i in phrase]
            lengths = [len(phrase) for _, _, phrase in phrases]
            weights = self._embeddings.weights[ids]
            starts = np.cumsum([0, *lengths[:-1]])
            shares = weights / (np.repeat(np.add.reduceat(weights, starts), lengths) + 1e-12)
            entry = Anchors(
                vectors=self._embeddings.vectors[ids],
                shares=shares,
                starts=starts,
                owner=np.array([index for index, _, _ in phrases]),
                names=np.array([name for _, name, _ in phrases]),
                topics=len(topics),
                offsets=np.zeros(len(topics)),
            )
            entry = replace(entry, offsets=self._offsets(entry))
        self._anchors[topics] = entry
        if len(self._anchors) > _ANCHOR_SETS:
            self._anchors.popitem(last=False)
        return entry

    def _offsets(self, anchors: Anchors) -> np.ndarray:
        """`LEVEL_WEIGHT` of each topic's mean score on the generic windows above `TYPICAL_LEVEL`."""
        generic = self._generic
        similarity = self._embeddings.vectors[generic.ravel()] @ anchors.vectors.T
        nearest = similarity.reshape(*generic.shape, -1).max(axis=1)  # windows x phrase entries
        level = topic_scores(nearest, anchors).mean(axis=0)
        phrased = np.isin(np.arange(anchors.topics), anchors.owner)  # a topic with no entries stays at 0
        return np.where(phrased, LEVEL_WEIGHT * (level - TYPICAL_LEVEL), 0.0)
