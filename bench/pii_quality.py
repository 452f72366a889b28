"""PII quality and the leak benchmark, on the three labelled corpora (see bench/pii_corpus.py).

    .venv/bin/python -m bench.pii_quality                    # all three parts, with leaks
    .venv/bin/python -m bench.pii_quality --parts dev --no-leaks --show-misses
    .venv/bin/python -m bench.pii_quality --parts dev --no-leaks --unlisted   # names no list holds

Parts: `dev` (bench/corpus/pii_dev.jsonl, tuned on), `heldout` (pii_heldout.jsonl: other
template families, names from sources the lexicons were not built from; measured only) and
`hard` (hand-written hard cases, hard_cases.jsonl).

1. Recall and precision per entity type, for raw Presidio defaults (`AnalyzerEngine` with the
   same spaCy model and its full pipeline, default recognizers, threshold 0.5) and for the
   gateway's detector (the default tenant policy: threshold 0.5), and PERSON recall per name
   origin and per form. A labelled value counts as found when a predicted span of its type
   overlaps it; a predicted span (of the seven types) counts as correct when it overlaps a
   labelled value of its type.
2. Leaks: every prompt goes through the real gateway (uvicorn on loopback, the openai SDK) to
   the cloud stand-in, and every labelled value is looked for in what the stand-in received:
   as written, and with spaces, dashes, dots and brackets removed on both sides. A name leaks
   when any of its words of three letters or more arrives (unless that word is also elsewhere
   in the prompt, outside the name), so a half-pseudonymised name is a leak.

`--unlisted` takes every word of the part's labelled names out of the detector's name lists
for that part: the development corpus then stands for names that no list holds, which is what
the held-out part (and real traffic) brings, so that rules can be tuned for that case without
looking at the held-out part.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gateway.checks.pii  # noqa: F401  (sets the tldextract variable before Presidio loads)
from gateway.checks.pii.actions import resolve
from gateway.checks.pii.engine import MODEL_PACKAGE, PresidioDetector
from gateway.checks.pii.scope import scope_of
from gateway.policy.schema import PiiPolicy

CORPORA = Path(__file__).parent / "corpus"
PARTS = {
    "dev": CORPORA / "pii_dev.jsonl",
    "heldout": CORPORA / "pii_heldout.jsonl",
    "hard": CORPORA / "hard_cases.jsonl",
    "probe": CORPORA / "pii_probe.jsonl",
}
TYPES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS"]
Spans = list[tuple[str, int, int]]


def load(part: str) -> list[dict[str, Any]]:
    if part == "hard":
        from bench.pii_corpus import hard_cases

        return hard_cases()
    return [json.loads(line) for line in PARTS[part].read_text().splitlines() if line.strip()]


def raw_presidio() -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": MODEL_PACKAGE}]}
    return AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine())


def score(corpus: list[dict[str, Any]], predicted: list[Spans]) -> dict[str, dict[str, float]]:
    gold_found: Counter[str] = Counter()
    gold_total: Counter[str] = Counter()
    pred_ok: Counter[str] = Counter()
    pred_total: Counter[str] = Counter()
    for record, spans in zip(corpus, predicted, strict=True):
        gold = [(e["type"], e["start"], e["end"]) for e in record["entities"]]
        for kind, start, end in gold:
            gold_total[kind] += 1
            gold_found[kind] += any(k == kind and s < end and start < e for k, s, e in spans)
        for kind, start, end in spans:
            if kind not in TYPES:
                continue
            pred_total[kind] += 1
            pred_ok[kind] += any(k == kind and s < end and start < e for k, s, e in gold)
    table = {}
    for kind in TYPES:
        table[kind] = {
            "labelled": gold_total[kind],
            "recall": gold_found[kind] / gold_total[kind] if gold_total[kind] else 1.0,
            "precision": pred_ok[kind] / pred_total[kind] if pred_total[kind] else 1.0,
            "predicted": pred_total[kind],
        }
    return table


def detect_raw(analyzer: Any, corpus: list[dict[str, Any]], threshold: float | None) -> list[Spans]:
    out = []
    for record in corpus:
        results = analyzer.analyze(text=record["text"], language="en", score_threshold=threshold)
        out.append([(r.entity_type, r.start, r.end) for r in results])
    return out


def detect_gateway(detector: PresidioDetector, corpus: list[dict[str, Any]]) -> list[Spans]:
    scope = scope_of(PiiPolicy())
    out = []
    for record in corpus:
        (spans,) = detector.detect([record["text"]], scope)
        out.append([(s.entity, s.start, s.end) for s in resolve(spans)])
    return out


def misses(corpus: list[dict[str, Any]], predicted: list[Spans]) -> list[str]:
    lines = []
    for record, spans in zip(corpus, predicted, strict=True):
        for e in record["entities"]:
            if not any(k == e["type"] and s < e["end"] and e["start"] < t for k, s, t in spans):
                lines.append(f"  {record['id']}: {e['type']} {e['value']!r}")
    return lines


# --- leaks through the gateway --------------------------------------------------------------

_SQUEEZE = re.compile(r"[\s\-.()/]")


def leaked(value: str, kind: str, sent: str, outside: str) -> tuple[bool, bool]:
    """(the whole value arrived, a word of a name arrived). `outside`: the prompt with every
    labelled value blanked out, so that a word the prompt also uses elsewhere is no leak."""
    squeezed = _SQUEEZE.sub("", value)
    whole = value in sent or (kind != "PERSON" and len(squeezed) >= 6 and squeezed in _SQUEEZE.sub("", sent))
    partial = False
    if kind == "PERSON":
        for part in re.findall(r"[^\W\d_]{3,}", value):
            word = rf"(?<![^\W\d_]){re.escape(part)}(?![^\W\d_])"
            if not re.search(word, outside, re.IGNORECASE) and re.search(word, sent, re.IGNORECASE):
                partial = True
    return whole, partial


def blanked(record: dict[str, Any]) -> str:
    text = record["text"]
    for e in record["entities"]:
        text = text[: e["start"]] + " " * (e["end"] - e["start"]) + text[e["end"] :]
    return text


def run_leaks(corpus: list[dict[str, Any]], detector: PresidioDetector) -> dict[str, Any]:
    import openai
    import yaml

    from gateway.app import create_app
    from gateway.db.engine import upgrade
    from gateway.services import Services
    from gateway.settings import Settings
    from tests.cloud_standin import CloudStandIn
    from tests.policy_files import sha
    from tests.servers import serve_in_thread

    cloud = CloudStandIn(reply="Noted.")
    with tempfile.TemporaryDirectory() as tmp, serve_in_thread(cloud) as cloud_url:
        root = Path(tmp)
        (root / "policies" / "tenants").mkdir(parents=True)
        gateway_yaml = {
            "providers": {
                "openai": {"base_url": cloud_url + "/v1", "api_key": "sk-bench"},
                "local": {"type": "llama_cpp"},  # catalogued, never called: nothing here is local_only
            },
            "models": {
                "gpt-4o": {"provider": "openai", "location": "cloud"},
                "local": {"provider": "local", "location": "local"},
            },
        }
        tenant = {
            "tenant": "bench",
            "api_keys": [{"name": "bench", "sha256": sha("bench-key")}],
            "models": ["gpt-4o"],
            "pii": {"entities": {"PERSON": "pseudonymize", "EMAIL_ADDRESS": "pseudonymize"}},
            "routing": {"default": "cloud"},
        }
        (root / "policies" / "gateway.yaml").write_text(yaml.safe_dump(gateway_yaml))
        (root / "policies" / "tenants" / "bench.yaml").write_text(yaml.safe_dump(tenant))
        url = f"sqlite:///{root / 'audit.db'}"
        upgrade(url)
        settings = Settings.from_env({}, policies_dir=root / "policies", database_url=url)
        services = Services.build(settings, detector=detector)
        with serve_in_thread(create_app(settings, services)) as gateway_url:
            client = openai.OpenAI(base_url=gateway_url + "/v1", api_key="bench-key", max_retries=0)
            started = time.perf_counter()
            for record in corpus:
                messages = [{"role": "user", "content": record["text"]}]
                client.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - started
    whole: Counter[str] = Counter()
    partial: Counter[str] = Counter()
    total: Counter[str] = Counter()
    examples: list[str] = []
    for record, received in zip(corpus, cloud.received, strict=True):
        sent = received["messages"][0]["content"]
        for e in record["entities"]:
            total[e["type"]] += 1
            is_whole, is_partial = leaked(e["value"], e["type"], sent, blanked(record))
            whole[e["type"]] += is_whole
            partial[e["type"]] += is_partial and not is_whole
            if is_whole or is_partial:
                examples.append(f"  {record['id']}: {e['type']} -> {sent!r}")
    return {
        "requests": len(corpus),
        "seconds": round(elapsed, 2),
        "by_type": {
            k: {"values": total[k], "leaked": whole[k], "partial_name_leaks": partial[k]} for k in TYPES
        },
        "examples": examples,
    }


def by_group(corpus: list[dict[str, Any]], predicted: list[Spans], key: str) -> dict[str, tuple[int, int]]:
    """PERSON values found / labelled, per `origin` or `form`."""
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for record, spans in zip(corpus, predicted, strict=True):
        for e in record["entities"]:
            if e["type"] != "PERSON":
                continue
            group = e.get(key, "-")
            total[group] += 1
            found[group] += any(k == "PERSON" and s < e["end"] and e["start"] < t for k, s, t in spans)
    return {group: (found[group], total[group]) for group in sorted(total)}


def markdown(tables: dict[str, dict[str, dict[str, float]]]) -> str:
    names = list(tables)
    head = "| entity | labelled | " + " | ".join(f"{n} recall | {n} precision" for n in names) + " |"
    rule = "|" + "---|" * (2 + 2 * len(names))
    rows = [head, rule]
    for kind in TYPES:
        cells = [kind, str(int(tables[names[0]][kind]["labelled"]))]
        for name in names:
            cells += [f"{tables[name][kind]['recall']:.3f}", f"{tables[name][kind]['precision']:.3f}"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def group_table(title: str, groups: dict[str, dict[str, tuple[int, int]]]) -> str:
    """One row per group, one column per part: "found / labelled (recall)"."""
    parts = list(groups)
    rows = [f"| {title} | " + " | ".join(parts) + " |", "|---|" + "---|" * len(parts)]
    for group in sorted({g for table in groups.values() for g in table}):
        cells = []
        for part in parts:
            found, total = groups[part].get(group, (0, 0))
            cells.append(f"{found}/{total} ({found / total:.3f})" if total else "-")
        rows.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    parser.add_argument("--no-leaks", action="store_true", help="skip the benchmark through the gateway")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw Presidio baseline")
    parser.add_argument("--show-misses", action="store_true", help="list the values the gateway missed")
    parser.add_argument("--show-false", action="store_true", help="list the gateway's false detections")
    parser.add_argument(
        "--unlisted", action="store_true", help="take the part's labelled names out of the name lists"
    )
    args = parser.parse_args(argv)
    raw = None if args.no_raw else raw_presidio()
    detector = PresidioDetector()
    failed = False
    origins: dict[str, dict[str, tuple[int, int]]] = {}
    forms: dict[str, dict[str, tuple[int, int]]] = {}
    for part in args.parts:
        corpus = load(part)
        labelled = sum(len(r["entities"]) for r in corpus)
        print(f"\n## {part}: {len(corpus)} prompts, {labelled} labelled values")
        if args.unlisted:
            detector = PresidioDetector(unlisted=name_words(corpus))
        ours = detect_gateway(detector, corpus)
        tables = {}
        if raw is not None:
            tables["raw Presidio"] = score(corpus, detect_raw(raw, corpus, 0.5))
        tables["gateway"] = score(corpus, ours)
        print(markdown(tables))
        origins[part] = by_group(corpus, ours, "origin")
        forms[part] = by_group(corpus, ours, "form")
        if args.show_misses:
            print("gateway misses:\n" + "\n".join(misses(corpus, ours)))
        if args.show_false:
            print("gateway false detections:\n" + "\n".join(false_detections(corpus, ours)))
        gateway = tables["gateway"]
        failed = failed or gateway["PERSON"]["recall"] < 0.97
        failed = failed or any(gateway[kind]["precision"] < 0.90 for kind in TYPES)
        if not args.no_leaks:
            leaks = run_leaks(corpus, detector)
            print(
                f"\nleaks ({part}): {leaks['requests']} requests through the gateway in {leaks['seconds']} s"
            )
            print("| entity | values sent | leaked whole | names with a word leaked |\n|---|---|---|---|")
            for kind, row in leaks["by_type"].items():
                print(f"| {kind} | {row['values']} | {row['leaked']} | {row['partial_name_leaks']} |")
            if leaks["examples"]:
                print("leaks:\n" + "\n".join(leaks["examples"]))
            zero = ["EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS", "PHONE_NUMBER"]
            failed = failed or any(leaks["by_type"][kind]["leaked"] for kind in zero)
    print("\n" + group_table("PERSON recall by origin", origins))
    print("\n" + group_table("PERSON recall by form", forms))
    floors = "zero structured leaks, PERSON recall >= 0.97, precision >= 0.90, on every part"
    print(f"\nfloors ({floors}):", "FAIL" if failed else "met")
    return 1 if failed else 0


def name_words(corpus: list[dict[str, Any]]) -> frozenset[str]:
    """Every word of the labelled names, hyphenated ones whole and in parts ("Seo-yeon", "Seo")."""
    values = [e["value"] for record in corpus for e in record["entities"] if e["type"] == "PERSON"]
    whole = {w for value in values for w in re.findall(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*", value)}
    return frozenset(whole | {part for value in values for part in re.findall(r"[^\W\d_]+", value)})


def false_detections(corpus: list[dict[str, Any]], predicted: list[Spans]) -> list[str]:
    lines = []
    for record, spans in zip(corpus, predicted, strict=True):
        for kind, start, end in spans:
            if kind in TYPES and not any(
                e["type"] == kind and e["start"] < end and start < e["end"] for e in record["entities"]
            ):
                lines.append(f"  {record['id']}: {kind} {record['text'][start:end]!r}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
