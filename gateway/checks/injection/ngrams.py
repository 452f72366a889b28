"""The two analyzers of the classifier: word 1-2-grams and character 2-5-grams within words.

They reproduce scikit-learn's `analyzer="word"` and `analyzer="char_wb"` exactly (training passes
these same functions to its vectorizers), so that serving needs no vectorizer object and scores
a short text in well under a millisecond.
"""

from __future__ import annotations

import itertools
import re

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_SPACES = re.compile(r"\s\s+")

CHAR_RANGE = (2, 5)


def words(text: str) -> list[str]:
    """Tokens of two or more word characters, then each pair of neighbouring tokens."""
    tokens = _TOKEN.findall(text)
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def chars(text: str) -> list[str]:
    """Character n-grams of each word padded with one space on each side."""
    grams: list[str] = []
    low, high = CHAR_RANGE
    for word in _SPACES.sub(" ", text).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            if n >= size:  # a word shorter than n counts once, whole, as scikit-learn does
                grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams
