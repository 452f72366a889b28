"""Banned topics: recall and false positives per topic on a labelled set of our own, and latency.

    .venv/bin/python bench/topics_eval.py [--split dev|test|heldout|heldout2] [--no-examples]
        [--threshold T]

The set (`bench/data/topics_cases.yaml`) was written for this check; its `dev` part chooses the
scoring and the default threshold; `test` (looked at by earlier work), `heldout` and `heldout2`
(each written before a change of the scoring was chosen) are held out. A positive counts as
caught when its own topic scores at or above the threshold; a false positive is a negative (or
an everyday request) that any topic catches. Everyday requests: `benign` for every split, plus
the split's own `<split>_benign` list where it has one (`dev_benign`, `heldout_benign`,
`heldout2_benign`). Latency: one request of one to three sentences against the four topics,
through `TopicDetector.scores`, median of all calls after a warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from gateway.checks.topics.config import BannedTopicsConfig, Topic
from gateway.checks.topics.detector import TopicDetector

CASES = Path(__file__).parent / "data" / "topics_cases.yaml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="test", choices=["dev", "test", "heldout", "heldout2"])
    default = BannedTopicsConfig.model_fields["threshold"].default
    parser.add_argument("--threshold", type=float, default=default, help=f"default: the check's, {default}")
    parser.add_argument("--no-examples", action="store_true", help="topic names only")
    args = parser.parse_args()
    cases = yaml.safe_load(CASES.read_text())
    topics = tuple(
        Topic(name=t["name"], examples=() if args.no_examples else tuple(t["examples"]))
        for t in cases["topics"]
    )
    names = [t.name for t in topics]
    detector = TopicDetector()
    everyday = {"benign": cases["benign"]}
    if f"{args.split}_benign" in cases:
        everyday[f"{args.split}_benign"] = cases[f"{args.split}_benign"]
    print(
        f"{detector.version}, split {args.split}, threshold {args.threshold}, examples {not args.no_examples}"
    )
    print("| topic | recall | false positives (same-domain negatives) |")
    print("|---|---|---|")
    recalls, rates = [], []
    for name, split in cases[args.split].items():
        own = names.index(name)
        caught = sum(detector.scores([text], topics)[own] >= args.threshold for text in split["positive"])
        wrong = sum(max(detector.scores([text], topics)) >= args.threshold for text in split["negative"])
        pos, neg = len(split["positive"]), len(split["negative"])
        recalls.append(caught / pos)
        rates.append(wrong / neg)
        print(f"| {name} | {caught}/{pos} = {caught / pos:.2f} | {wrong}/{neg} = {wrong / neg:.2f} |")
    for label, texts in everyday.items():
        hits = sum(max(detector.scores([text], topics)) >= args.threshold for text in texts)
        print(f"| everyday requests (`{label}`) | | {hits}/{len(texts)} |")
    print(f"mean recall {statistics.mean(recalls):.2f}, mean false positives {statistics.mean(rates):.2f}")
    texts = [t for split in cases[args.split].values() for t in split["positive"] + split["negative"]]
    requests = [
        [texts[i], texts[(i + 1) % len(texts)] + ". " + texts[(i + 2) % len(texts)]]
        for i in range(len(texts))
    ]
    for request in requests[:20]:
        detector.scores(request, topics)
    timings = []
    for _ in range(5):
        for i, request in enumerate(requests):
            started = time.perf_counter()
            detector.scores([f"{request[0]} (#{i})", request[1]], topics)
            timings.append(time.perf_counter() - started)
    print(
        f"latency p50 {statistics.median(timings) * 1000:.3f} ms, p95 "
        f"{sorted(timings)[int(len(timings) * 0.95)] * 1000:.3f} ms over {len(timings)} requests"
    )


if __name__ == "__main__":
    main()
