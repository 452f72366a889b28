"""The two analyzers of the classifier: word 1-2-grams and character 2-5-grams of the whole text.

They reproduce scikit-learn's `analyzer="word"` and `analyzer="char"` (the latter on the text with
each run of white space made one space, so that no n-gram holds a tab or a line break and the
artifact stays one n-gram a line) exactly; training passes these same functions to its
vectorizers, so that serving needs no vectorizer object and scores a short text in well under a
millisecond. The character n-grams run across word boundaries ("ignore previous" yields
"e pre"), so they see how words follow each other as well as how they are spelt.
"""

from __future__ import annotations

import itertools
import re

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_SPACES = re.compile(r"\s+")

CHAR_RANGE = (2, 5)


def words(text: str) -> list[str]:
    """Tokens of two or more word characters, then each pair of neighbouring tokens."""
    tokens = _TOKEN.findall(text)
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def chars(text: str) -> list[str]:
    """Every run of 2 to 5 characters of the text, each run of white space made one space."""
    text = _SPACES.sub(" ", text)
    low, high = CHAR_RANGE
    size = len(text)
    grams: list[str] = []
    for n in range(low, high + 1):
        grams += [text[i : i + n] for i in range(size - n + 1)]
    return grams
