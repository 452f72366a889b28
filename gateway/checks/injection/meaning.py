"""The classifier's third block: what a text is about, as one pooled word vector.

The n-gram blocks see spelling and word order; they miss a jailbreak worded with words no
training attack used. The banned-topics check's static MiniLM vectors (`topics.embeddings`,
already shipped) place such words near the ones it did use: the weighted mean of a text's entry
vectors, made unit length, is the block (96 numbers), each multiplied by the block's weight and
its coefficient like an n-gram's tf-idf value. Training and serving call this same function.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gateway.checks.topics.embeddings import Embeddings


def pooled(embeddings: Embeddings, normal_text: str) -> npt.NDArray[np.float64]:
    """The unit weighted mean of the text's entry vectors; zeros for a text with no entry."""
    ids = embeddings.tokens(normal_text)
    if not ids:
        return np.zeros(embeddings.vectors.shape[1])
    mean = (embeddings.weights[ids] @ embeddings.vectors[ids]).astype(np.float64)
    return mean / (np.linalg.norm(mean) + 1e-12)
