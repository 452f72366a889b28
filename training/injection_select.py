"""Score variants of the prompt-injection classifier by the selection rule in `training.injection`.

    .venv/bin/python -m training.injection_select [--variants NAME ...]

For each variant: S-Labs and neuralchemy recall at the 0.7 % rule by 5-fold cross-validation
inside the training set, and on the validation splits; the figure that chooses is the lowest of
the four. The test splits are never read.

The n-grams of every text are counted once; each fold then keeps the n-grams its own training
rows hold (at the variant's minimum document frequency) and computes their idf from those rows,
which is what a `TfidfVectorizer` fitted on the fold would give, without recounting. Validation
here reproduces `train`'s rule (Platt, then the 3-decimal threshold) on the same arithmetic;
`python -m training.injection` remains what writes, and records, the artifact.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from gateway.checks.injection import directives, ngrams
from gateway.checks.injection.meaning import pooled
from gateway.checks.injection.text import normal_form, pieces
from gateway.checks.topics.embeddings import Embeddings
from training import authored, corpora
from training.injection import FALSE_POSITIVE_CAP, HARD_NEGATIVES, _threshold

FOLDS = 5
CHOSEN_SOURCES = ("s-labs", "neuralchemy")
BLOCKS = {"words": ngrams.words, "chars": ngrams.chars}


@dataclass(frozen=True, slots=True)
class Variant:
    c: float = 0.1
    hard_negative_weight: float = 8.0
    s_labs_benign_weight: float = 2.0
    min_df_chars: int = 2
    nb: bool = False  # scale each n-gram by its log-count ratio (NB-SVM)
    nb_alpha: float = 1.0  # the ratio's smoothing count
    nb_power: float = 1.0  # the ratio raised to this power: under 1, rare n-grams gain less
    nb_blocks: tuple[str, ...] = ("words", "chars")
    dense: float = 0.0  # weight of the pooled MiniLM vector block; 0: none
    pool: str = "mean"  # or "mean+max"
    loss: str = "squared_hinge"


# Every variant compared, in the order they were tried; "shipped" is ngram-svm-b71a82eee93a, the
# model the rule had to beat, and the last one is the one it chose (what `training.injection` trains).
VARIANTS: dict[str, Variant] = {
    "shipped": Variant(),
    "nb": Variant(nb=True),
    "nb-c0.03": Variant(nb=True, c=0.03),
    "nb-c0.3": Variant(nb=True, c=0.3),
    "nb-a0.25": Variant(nb=True, nb_alpha=0.25),
    "dense0.5": Variant(dense=0.5),
    "dense1": Variant(dense=1.0),
    "nb-dense0.5": Variant(nb=True, dense=0.5),
    "nb-a4": Variant(nb=True, nb_alpha=4.0),
    "nb-sqrt": Variant(nb=True, nb_power=0.5),
    "nb-words": Variant(nb=True, nb_blocks=("words",)),
    "dense0.25": Variant(dense=0.25),
    "dense0.35": Variant(dense=0.35),
    "dense0.7": Variant(dense=0.7),
    "dense0.5-slabs3": Variant(dense=0.5, s_labs_benign_weight=3.0),
    "dense0.5-c0.2": Variant(dense=0.5, c=0.2),
    "dense0.5-c0.05": Variant(dense=0.5, c=0.05),
    "dense0.5-hard16": Variant(dense=0.5, hard_negative_weight=16.0),
    "dense0.35-c0.2": Variant(dense=0.35, c=0.2),
    "dense0.25-c0.2": Variant(dense=0.25, c=0.2),
    "dense0.5-c0.3": Variant(dense=0.5, c=0.3),
    "dense0.35-c0.3": Variant(dense=0.35, c=0.3),
    "dense0.5-c0.2-slabs3": Variant(dense=0.5, c=0.2, s_labs_benign_weight=3.0),
    "meanmax0.35": Variant(dense=0.35, pool="mean+max"),
    "meanmax0.35-c0.2": Variant(dense=0.35, c=0.2, pool="mean+max"),
    "dense0.35-c0.2-slabs4": Variant(dense=0.35, c=0.2, s_labs_benign_weight=4.0),
    "dense0.25-c0.2-slabs3": Variant(dense=0.25, c=0.2, s_labs_benign_weight=3.0),
    "dense0.35-c0.2-slabs3-hard16": Variant(
        dense=0.35, c=0.2, s_labs_benign_weight=3.0, hard_negative_weight=16.0
    ),
    "dense0.35-c0.2-slabs3-hard4": Variant(
        dense=0.35, c=0.2, s_labs_benign_weight=3.0, hard_negative_weight=4.0
    ),
    "meanmax0.35-c0.2-slabs3": Variant(dense=0.35, c=0.2, s_labs_benign_weight=3.0, pool="mean+max"),
    "hard16": Variant(hard_negative_weight=16.0),
    "slabs3": Variant(s_labs_benign_weight=3.0),
    "hard4-slabs1": Variant(hard_negative_weight=4.0, s_labs_benign_weight=1.0),
    "chosen: dense0.35-c0.2-slabs3": Variant(dense=0.35, c=0.2, s_labs_benign_weight=3.0),
}


@dataclass(frozen=True, slots=True)
class Scored:
    """Texts to score as served: rows of `pieces` matrices, each text owning a run of them."""

    owner: npt.NDArray[np.int64]  # per piece, the text it belongs to
    phrase: npt.NDArray[np.bool_]  # per text, whether a directive phrase matched
    labels: npt.NDArray[np.int64]
    sources: npt.NDArray[np.str_]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _fold(text: str) -> int:
    return int.from_bytes(hashlib.sha256(_key(text).encode("utf-8")).digest()[:8], "big") % FOLDS


def _pieces(examples: Sequence[corpora.Example]) -> tuple[list[str], Scored]:
    texts: list[str] = []
    owner: list[int] = []
    phrase = []
    for index, example in enumerate(examples):
        found = pieces(example.text)
        texts += found
        owner += [index] * len(found)
        phrase.append(any(directives.matched(p) for p in found))
    return texts, Scored(
        np.array(owner),
        np.array(phrase),
        np.array([e.label for e in examples]),
        np.array([e.source for e in examples]),
    )


def _pooled(embeddings: Embeddings, texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Each text's weighted mean entry vector, made unit length (zeros for a text with none),
    then its element-wise max, made unit length."""
    dims = embeddings.vectors.shape[1]
    out = np.zeros((len(texts), 2 * dims))
    for row, text in enumerate(texts):
        ids = embeddings.tokens(text)
        if ids:
            out[row, :dims] = pooled(embeddings, text)
            top = embeddings.vectors[ids].max(axis=0)
            out[row, dims:] = top / (np.linalg.norm(top) + 1e-12)
    return out


class Features:
    """Counts of every block for the training texts and for the pieces to score."""

    def __init__(self, train: Sequence[corpora.Example], scored: dict[str, Sequence[corpora.Example]]):
        embeddings = Embeddings()
        texts = [normal_form(e.text) for e in train]
        self.counts: dict[str, sp.csr_matrix] = {}
        self.piece_counts: dict[str, dict[str, sp.csr_matrix]] = {name: {} for name in scored}
        self.scored: dict[str, Scored] = {}
        piece_texts = {}
        for name, examples in scored.items():
            piece_texts[name], self.scored[name] = _pieces(examples)
        for block, analyze in BLOCKS.items():
            vectorizer = CountVectorizer(analyzer=analyze)
            self.counts[block] = vectorizer.fit_transform(texts).tocsr().astype(np.float64)
            for name in scored:
                self.piece_counts[name][block] = (
                    vectorizer.transform(piece_texts[name]).tocsr().astype(np.float64)
                )
        self.dense = _pooled(embeddings, texts)
        self.piece_dense = {name: _pooled(embeddings, piece_texts[name]) for name in scored}


def _tfidf(counts: sp.csr_matrix, idf: npt.NDArray[np.float64]) -> sp.csr_matrix:
    x = counts.copy()
    x.data = 1.0 + np.log(x.data)
    x = x @ sp.diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


def _weights(examples: Sequence[corpora.Example], variant: Variant) -> npt.NDArray[np.float64]:
    out = []
    for e in examples:
        if e.label == 1:
            out.append(1.0)
        elif e.source in HARD_NEGATIVES:
            out.append(variant.hard_negative_weight)
        else:
            out.append(variant.s_labs_benign_weight if e.source == "s-labs" else 1.0)
    return np.array(out)


@dataclass(frozen=True, slots=True)
class Fitted:
    columns: dict[str, npt.NDArray[np.int64]]
    idf: dict[str, npt.NDArray[np.float64]]
    scale: dict[str, npt.NDArray[np.float64]]  # NB ratios (ones without)
    model: LinearSVC


def _design(
    features: Features,
    fitted_cols: dict[str, npt.NDArray[np.int64]],
    idf: dict[str, npt.NDArray[np.float64]],
    scale: dict[str, npt.NDArray[np.float64]],
    counts: dict[str, sp.csr_matrix],
    dense: npt.NDArray[np.float64],
    variant: Variant,
) -> sp.csr_matrix:
    parts = [_tfidf(counts[b][:, fitted_cols[b]], idf[b]) @ sp.diags(scale[b]) for b in BLOCKS]
    if variant.dense:
        used = dense if variant.pool == "mean+max" else dense[:, : dense.shape[1] // 2]
        parts.append(sp.csr_matrix(used * variant.dense))
    return sp.hstack(parts).tocsr()


def fit(
    features: Features, rows: npt.NDArray[np.int64], examples: Sequence[corpora.Example], variant: Variant
) -> Fitted:
    labels = np.array([examples[i].label for i in rows])
    min_df = {"words": 1, "chars": variant.min_df_chars}
    columns, idf, scale = {}, {}, {}
    for block in BLOCKS:
        counts = features.counts[block][rows]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        keep = np.flatnonzero(df >= min_df[block])
        columns[block] = keep
        idf[block] = np.log((1 + len(rows)) / (1 + df[keep])) + 1.0
        if variant.nb and block in variant.nb_blocks:
            binary = (counts[:, keep] > 0).astype(np.float64)
            p = variant.nb_alpha + np.asarray(binary[labels == 1].sum(axis=0)).ravel()
            q = variant.nb_alpha + np.asarray(binary[labels == 0].sum(axis=0)).ravel()
            scale[block] = np.abs(np.log((p / p.sum()) / (q / q.sum()))) ** variant.nb_power
        else:
            scale[block] = np.ones(len(keep))
    counts_rows = {b: features.counts[b][rows] for b in BLOCKS}
    x = _design(features, columns, idf, scale, counts_rows, features.dense[rows], variant)
    model = LinearSVC(C=variant.c, class_weight="balanced", random_state=0, max_iter=10000, loss=variant.loss)
    model.fit(x, labels, sample_weight=_weights([examples[i] for i in rows], variant))
    return Fitted(columns, idf, scale, model)


def decisions(features: Features, fitted: Fitted, name: str, variant: Variant) -> npt.NDArray[np.float64]:
    """Each scored text's decision value: the highest of its pieces', +inf where a phrase matched."""
    scored = features.scored[name]
    x = _design(
        features,
        fitted.columns,
        fitted.idf,
        fitted.scale,
        features.piece_counts[name],
        features.piece_dense[name],
        variant,
    )
    per_piece = fitted.model.decision_function(x)
    best = np.full(len(scored.labels), -np.inf)
    np.maximum.at(best, scored.owner, per_piece)
    best[scored.phrase] = np.inf
    return best


def _fold_recall(
    values: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], sources: npt.NDArray[np.str_]
) -> dict[str, float]:
    cut = -np.inf
    for source in CHOSEN_SOURCES:
        benign = np.sort(values[(sources == source) & (labels == 0)])[::-1]
        cut = max(cut, benign[math.floor(FALSE_POSITIVE_CAP * len(benign))])
    return {s: float((values[(sources == s) & (labels == 1)] > cut).mean()) for s in CHOSEN_SOURCES}


def evaluate(
    features: Features, train: Sequence[corpora.Example], folds: npt.NDArray[np.int64], variant: Variant
) -> dict[str, float]:
    cv: dict[str, list[float]] = {s: [] for s in CHOSEN_SOURCES}
    scored = features.scored["train"]
    for k in range(FOLDS):
        fitted = fit(features, np.flatnonzero(folds != k), train, variant)
        values = decisions(features, fitted, "train", variant)
        held = folds == k
        for source, recall in _fold_recall(values[held], scored.labels[held], scored.sources[held]).items():
            cv[source].append(recall)
    fitted = fit(features, np.arange(len(train)), train, variant)
    values = decisions(features, fitted, "validation", variant)
    val = features.scored["validation"]
    finite = np.clip(values, -50, 50)  # a phrase match: certain, as the detector scores it
    platt = LogisticRegression(C=1e6).fit(finite.reshape(-1, 1), val.labels)
    probability = 1.0 / (1.0 + np.exp(-(platt.coef_[0][0] * finite + platt.intercept_[0])))
    probability[val.phrase] = 1.0
    per_source = {s: (probability[val.sources == s], val.labels[val.sources == s]) for s in corpora.SOURCES}
    threshold = _threshold(per_source)
    out = {f"cv {s}": float(np.mean(cv[s])) for s in CHOSEN_SOURCES}
    for s, (p, y) in per_source.items():
        out[f"val {s}"] = float((p[y == 1] >= threshold).mean())
    out["threshold"] = threshold
    out["min"] = min(out[f"{kind} {s}"] for kind in ("cv", "val") for s in CHOSEN_SOURCES)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    args = parser.parse_args()
    train = corpora.training_set() + authored.examples()
    held_out = [e for e in train if e.source != authored.SOURCE]
    validation = [e for s in corpora.SOURCES for e in corpora.load("validation", s)]
    start = time.perf_counter()
    features = Features(train, {"train": train, "validation": validation})
    print(f"features in {time.perf_counter() - start:.0f} s", flush=True)
    folds = np.array([_fold(e.text) if e.source != authored.SOURCE else -1 for e in train])
    assert len(held_out) == int((folds >= 0).sum())
    for name in args.variants:
        start = time.perf_counter()
        result = evaluate(features, train, folds, VARIANTS[name])
        row = {
            "variant": name,
            **{k: round(v, 4) for k, v in result.items()},
            "seconds": round(time.perf_counter() - start),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
