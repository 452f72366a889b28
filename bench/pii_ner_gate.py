"""How often PII detection skips NER, and whether skipping it ever changes what is found.

    .venv/bin/python -m bench.pii_ner_gate [--limit 1500]

A scope whose only NER entity is PERSON (the default one) skips NER on a text with no word NER
could take for a name (`gateway/checks/pii/capitals.py`). This runs detection twice on every
text, with the default scope at threshold 0 (every span, however weak): as served (batches of
8, NER skipped where the rule says so) and with NER on every text (batches of 8 too), and prints
per source the texts, those NER was skipped on, those whose spans differ, and the CPU per text
of each run. Sources: bench/corpus/ (the PII dev, held-out and probe parts and the hand-written
hard cases: texts with names), the topics and injection cases of bench/data/, the bench's own
prompt and the answer the echoing stand-in gives to it, and, when `make injection-model` has
installed them, the validation splits of the prompt-injection corpora (everyday prompts and
attacks; `--limit` texts of each).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

from bench.pii_throughput import PROMPT
from gateway.checks.pii.detector import Span
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.scope import DEFAULT_ENTITIES, DetectionScope

HERE = Path(__file__).parent
SCOPE = DetectionScope(entities=tuple(sorted(DEFAULT_ENTITIES)), threshold=0.0)
ANSWER = (  # what the echoing stand-in answers to PROMPT once PERSON and e-mail are pseudonymised
    "Hello, this is <PERSON_1> {n} from finance. Please write a short email to our customer "
    "<PERSON_2> explaining that the refund for invoice {n} was sent. Reach me at <EMAIL_ADDRESS_1> "
    "or +* *** *** {phone}."
)


def sources(limit: int) -> Iterator[tuple[str, list[str]]]:
    for name in ("pii_dev", "pii_heldout", "pii_probe", "hard_cases"):
        lines = (HERE / "corpus" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        yield name, [json.loads(line)["text"] for line in lines if line.strip()]
    topics = yaml.safe_load((HERE / "data" / "topics_cases.yaml").read_text(encoding="utf-8"))
    texts = [text for key, part in topics.items() if key != "topics" for text in _flat(part)]
    yield "topics_cases", texts
    cases = yaml.safe_load((HERE / "data" / "injection_cases.yaml").read_text(encoding="utf-8"))
    yield "injection_cases", [case["text"] for case in cases]
    yield "bench_prompt", [PROMPT.format(n=n, phone=1000 + n) for n in range(50)]
    yield "bench_answer", [ANSWER.format(n=n, phone=1000 + n) for n in range(50)]
    try:
        from training import corpora

        for source in ("s-labs", "neuralchemy"):
            yield f"{source}_validation", [e.text for e in corpora.load("validation", source)][:limit]
    except (SystemExit, ImportError):
        print("(prompt-injection corpora not installed: `make injection-model` adds them)")


def _flat(part: object) -> list[str]:
    if isinstance(part, dict):
        return [text for value in part.values() for text in _flat(value)]
    if isinstance(part, list):
        return [text for value in part for text in _flat(value)]
    return [part] if isinstance(part, str) else []


def run(detector: PresidioDetector, texts: list[str], batch: int) -> tuple[list[tuple[Span, ...]], float]:
    started = time.process_time()
    found: list[tuple[Span, ...]] = []
    for index in range(0, len(texts), batch):
        chunk = texts[index : index + batch]
        found += [spans for [spans] in detector.many([([text], SCOPE) for text in chunk])]
    return found, (time.process_time() - started) / max(1, len(texts)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=1500, help="texts of each injection corpus")
    args = parser.parse_args()
    served, everywhere = PresidioDetector(), PresidioDetector(ner_everywhere=True)
    columns = ("texts", "NER skipped", "differ", "ms served", "ms always")
    print(f"{'source':<24} " + " ".join(f"{column:>11}" for column in columns))
    for name, texts in sources(args.limit):
        gated, gated_ms = run(served, texts, 8)
        always, always_ms = run(everywhere, texts, 8)
        skipped = sum(1 for text in texts if not served.runs_ner(text, SCOPE))
        differ = sum(1 for a, b in zip(gated, always, strict=True) if a != b)
        print(f"{name:<24} {len(texts):>11} {skipped:>11} {differ:>11} {gated_ms:>11.2f} {always_ms:>11.2f}")


if __name__ == "__main__":
    main()
