"""Prompt-injection detector: recall and false positives per source on the test splits and on
the project's own cases, and the time it takes per text.

    make injection-model                       # once: installs the corpora, rebuilds the artifact
    .venv/bin/python bench/injection_eval.py   # ~1 minute; --repeats N for the latency rounds

Reads the shipped artifact (gateway/checks/injection/model/) at its own threshold, chosen on the
validation splits. The test splits and bench/data/injection_cases.yaml are never trained or tuned
on. Prints Markdown tables for BENCHMARKS.md and writes bench/results/injection.json.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.checks.injection.classifier import MODEL_DIR  # noqa: E402
from gateway.checks.injection.detector import InjectionDetector  # noqa: E402
from training import corpora  # noqa: E402

CASES = ROOT / "bench" / "data" / "injection_cases.yaml"


def wilson(hits: int, n: int) -> tuple[float, float]:
    """95 % Wilson interval of a proportion."""
    if n == 0:
        return (math.nan, math.nan)
    z = 1.96
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def rates(scores: list[float], labels: list[int], threshold: float) -> dict[str, object]:
    attacks = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    benign = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    caught = sum(s >= threshold for s in attacks)
    passed_wrongly = sum(s >= threshold for s in benign)
    return {
        "attacks": len(attacks),
        "benign": len(benign),
        "recall": caught / len(attacks) if attacks else None,
        "recall_ci": wilson(caught, len(attacks)),
        "false_positive_rate": passed_wrongly / len(benign) if benign else None,
        "false_positive_ci": wilson(passed_wrongly, len(benign)),
        "false_positives": passed_wrongly,
    }


def fmt(value: object, ci: tuple[float, float]) -> str:
    if value is None:
        return "n/a"
    assert isinstance(value, float)
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def latency(detector: InjectionDetector, repeats: int) -> dict[str, dict[str, float]]:
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    benign = [c["text"] for c in cases if c["label"] == 0]
    samples = {
        "short question": "Can you explain the event loop in Node.js and when I should use worker threads?",
        "benign message": max((t for t in benign if len(t) < 400), key=len),
        "pasted document": " ".join(benign)[:2000],
    }
    out = {}
    for name, text in samples.items():
        timings = []
        for serial in range(repeats):
            unique = f"{text} #{serial}"  # a serial in each text: no cache can answer
            start = time.perf_counter()
            detector.verdict(unique)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        out[name] = {
            "chars": len(text),
            "p50_ms": statistics.median(timings),
            "p99_ms": timings[int(0.99 * (len(timings) - 1))],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=500, help="timed calls per latency sample")
    args = parser.parse_args()

    start = time.perf_counter()
    detector = InjectionDetector.load()
    load_s = time.perf_counter() - start
    threshold = detector.threshold
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False
    ).stdout.strip()
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    results: dict[str, object] = {
        "commit": commit,
        "version": detector.version,
        "threshold": threshold,
        "artifact_bytes": size,
        "load_seconds": load_s,
    }
    print(f"detector {detector.version}, threshold {threshold}, commit {commit}")
    print(f"artifact {size / 1e6:.2f} MB, loads in {load_s:.2f} s\n")

    print("| test split | attacks | benign | recall [95 % CI] | false positives [95 % CI] |")
    print("|---|---:|---:|---|---|")
    per_source = {}
    for source in corpora.SOURCES:
        rows = corpora.load("test", source)
        verdicts = detector.verdicts([e.text for e in rows])
        r = rates([v.score for v in verdicts], [e.label for e in rows], threshold)
        per_source[source] = r
        fpr = r["false_positive_rate"]
        print(
            f"| {source} ({corpora.LICENCES[source]}) | {r['attacks']} | {r['benign']} | "
            f"{fmt(r['recall'], r['recall_ci'])} | "  # type: ignore[arg-type]
            f"{fmt(fpr, r['false_positive_ci'])} |"  # type: ignore[arg-type]
        )
    results["test_splits"] = per_source

    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    kinds = sorted({c["kind"] for c in cases})
    print("\n| own cases | attacks caught | benign passed | missed (score) / flagged (score) |")
    print("|---|---:|---:|---|")
    own = {}
    for kind in [*kinds, "all"]:
        chosen = [c for c in cases if kind in ("all", c["kind"])]
        verdicts = detector.verdicts([c["text"] for c in chosen])
        wrong = [
            f"{'missed' if c['label'] else 'flagged'} {v.score:.2f}"
            for c, v in zip(chosen, verdicts, strict=True)
            if (v.score >= threshold) != bool(c["label"])
        ]
        attacks = [v for c, v in zip(chosen, verdicts, strict=True) if c["label"] == 1]
        benign = [v for c, v in zip(chosen, verdicts, strict=True) if c["label"] == 0]
        caught = sum(v.score >= threshold for v in attacks)
        passed = sum(v.score < threshold for v in benign)
        own[kind] = {"attacks": len(attacks), "caught": caught, "benign": len(benign), "passed": passed}
        label = f"**{kind}**" if kind == "all" else kind
        errors = "; ".join(wrong) if kind != "all" else ""
        print(f"| {label} | {caught}/{len(attacks)} | {passed}/{len(benign)} | {errors} |")
    results["own_cases"] = own

    timings = latency(detector, args.repeats)
    results["latency"] = timings
    print(f"\n| text ({args.repeats} unique calls each) | chars | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for name, t in timings.items():
        print(f"| {name} | {t['chars']:.0f} | {t['p50_ms']:.3f} | {t['p99_ms']:.3f} |")

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "injection.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
