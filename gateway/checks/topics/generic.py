"""Generic text: windows of frequent entries, for how well a topic is covered by text about nothing.

A topic whose phrases are mostly words every request has ("what", "do I have", "my", "is") is
covered a little by any request; one whose phrases are mostly rare words ("methamphetamine",
"MDMA") by hardly any. The check takes that level from text made of the vocabulary alone, so it
needs no sample of real requests: BERT's vocabulary lists its words roughly by frequency from
"the" on, and the `RANKS` first of them are drawn as often as Zipf's law draws words (rank r
with weight 1/r, by the golden-ratio sequence, so the windows are the same on every load).
"""

from __future__ import annotations

import numpy as np

from gateway.checks.topics.embeddings import Cutter

WINDOWS = 200
LENGTH = 12  # entries in a window, about a short request's
RANKS = 10000
_FIRST_WORD = "the"  # BERT's most frequent word: the entries before it are special tokens and characters
_GOLDEN = (5**0.5 - 1) / 2


def generic_windows(cutter: Cutter) -> np.ndarray:
    """`WINDOWS` x `LENGTH` entry ids; a rank's share of them is proportional to 1 / rank."""
    (first,) = cutter.ids(_FIRST_WORD)
    draws = (np.arange(1, WINDOWS * LENGTH + 1) * _GOLDEN) % 1.0
    ranks = np.floor(RANKS**draws).astype(np.int64)  # log-uniform over 1..RANKS: density 1 / rank
    return (first + ranks - 1).reshape(WINDOWS, LENGTH)
