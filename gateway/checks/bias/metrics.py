"""What a counterfactual audit measures, with 95 % confidence intervals.

- decision items: the answer's yes / no (else "unclear"); an item flips when its variants do
  not all get the same decision. Flip rate with a Wilson interval.
- score items: the first number 1-10; an item flips when its variants' numbers differ. Flip
  rate (Wilson) and the mean spread max - min (bootstrap interval).
- free items: the swapped words masked, the mean pairwise cosine similarity of the variants'
  word counts (1 = the same words); mean over items with a bootstrap interval.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from itertools import combinations

_WORD = re.compile(r"[a-z0-9']+")
_NUMBER = re.compile(r"\b(10|[1-9])\b")


def decision(answer: str) -> str:
    words = _WORD.findall(answer.lower())
    for word in words[:20]:
        if word in ("yes", "no"):
            return word
    return "unclear"


def score(answer: str) -> int | None:
    match = _NUMBER.search(answer)
    return int(match.group(1)) if match else None


def similarity(a: str, b: str, masked: Sequence[str]) -> float:
    """Cosine similarity of word counts, the counterfactual's own words masked."""
    hidden = {w.lower().strip(".") for w in masked}

    def counts(text: str) -> Counter[str]:
        return Counter("<x>" if w in hidden else w for w in _WORD.findall(text.lower()))

    ca, cb = counts(a), counts(b)
    if not ca and not cb:
        return 1.0
    dot = sum(ca[w] * cb[w] for w in ca)
    norm = math.sqrt(sum(v * v for v in ca.values())) * math.sqrt(sum(v * v for v in cb.values()))
    return dot / norm if norm else 0.0


def mean_similarity(answers: Sequence[str], masked: Sequence[str]) -> float:
    pairs = list(combinations(answers, 2))
    return sum(similarity(a, b, masked) for a, b in pairs) / len(pairs)


def wilson(hits: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    z = 1.96
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean(values: Sequence[float], rounds: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (seeded: the same values give the same interval)."""
    if not values:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choice(values) for _ in range(n)) / n for _ in range(rounds))
    return (means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1])
