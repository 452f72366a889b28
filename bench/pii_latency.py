"""Latency of the privacy stage, at concurrency 1, with the real detector.

    .venv/bin/python -m bench.pii_latency [--iterations 400]

1. Added latency for a 60-word prompt with PII (a fresh prompt each time: no cache hits):
   the input check (`PiiCheck.scan`, detection on the detector thread included), and the output
   guard on a 40-word answer, restore only and with `checks.output.pii` scanning.
2. Conversations: the 1st and the 10th turn of 10-turn conversations (each turn adds a user
   message with PII and an assistant answer; the whole history is sent every turn).
3. Stream restore: the cost per chunk of `PiiGuard.on_chunk` (restore only) and of the bare
   `StreamRestorer.feed`, on an answer streamed 1 to 6 characters a chunk.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from typing import Any

from gateway.checks.base import InputScan
from gateway.checks.pii.check import PiiCheck
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.guard import guard_for
from gateway.checks.pii.hashing import Hasher
from gateway.checks.pii.restore import Restorer
from gateway.exchange import Completion, CompletionRequest
from gateway.policy.schema import TenantPolicy

FIRST = ["Jane", "Omar", "Priya", "Lukas", "Aiko", "Mateo", "Chloe", "Tunde", "Ingrid", "Rafael"]
LAST = ["Smith", "Haddad", "Raman", "Becker", "Tanaka", "Silva", "Martin", "Okafor", "Berg", "Costa"]
PROMPT = (
    "Hello, this is {name} from the finance team. Please write a short and friendly email to our "
    "customer {other} explaining that the refund for invoice {n} was sent yesterday. They can reach "
    "me at {email} or on {phone} if anything is unclear. Mention that the card ending in the last "
    "four digits was credited, and keep the tone warm and professional."
)
ANSWER = (
    "Dear {other}, thank you for your patience. The refund for your invoice was sent yesterday "
    "and should arrive within three business days. If anything is unclear, please contact "
    "<PERSON_1> at <EMAIL_ADDRESS_1>. Kind regards, the finance team."
)


def tenant(output_scan: bool) -> TenantPolicy:
    checks = {"output": {"pii": {"action": "redact"}}} if output_scan else {}
    return TenantPolicy.model_validate(
        {
            "tenant": "bench",
            "api_keys": [],
            "pii": {
                "entities": {
                    "PERSON": "pseudonymize",
                    "EMAIL_ADDRESS": "pseudonymize",
                    "PHONE_NUMBER": "mask",
                }
            },
            "checks": checks,
        }
    )


def values(rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "name": f"{first} {last}",
        "other": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "n": str(rng.randint(10000, 99999)),
        "email": f"{first.lower()}.{last.lower()}{rng.randint(1, 9999)}@example.com",
        "phone": f"+1 415 {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
    }


def request(messages: list[dict[str, Any]]) -> InputScan:
    body = {"model": "gpt-4o", "messages": messages}
    return InputScan(request=CompletionRequest("chat", "gpt-4o", False, body))


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (n={len(ordered)})"


async def stage(check: PiiCheck, detection: Detection, iterations: int) -> None:
    rng = random.Random(1)
    words = len(PROMPT.format(**values(rng)).split())
    inputs, restore_only, scanned = [], [], []
    for index in range(iterations + 20):
        filled = values(rng)
        scan = request([{"role": "user", "content": PROMPT.format(**filled) + f" Ref {index}."}])
        started = time.perf_counter()
        out = await check.scan(tenant(False), scan)
        middle = time.perf_counter()
        answer = Completion(body={"choices": [{"index": 0, "message": {"content": ANSWER.format(**filled)}}]})
        await guard_for(tenant(False), out, detection).on_completion(answer)
        done = time.perf_counter()
        unique = ANSWER.format(**filled) + f" Ref {index}."  # a fresh answer: no cache hit
        answer = Completion(body={"choices": [{"index": 0, "message": {"content": unique}}]})
        await guard_for(tenant(True), out, detection).on_completion(answer)
        if index >= 20:
            inputs.append(middle - started)
            restore_only.append(done - started)
            scanned.append(time.perf_counter() - done + middle - started)
    print(f"prompt: {words} words, PERSON x2, EMAIL, PHONE")
    print(f"  input check                      {percentiles(inputs)}")
    print(f"  input + output (restore only)    {percentiles(restore_only)}")
    print(f"  input + output (scan + restore)  {percentiles(scanned)}")


# What a model answers to PROMPT: it sees only the pseudonyms and uses them.
MODEL_ANSWER = (
    "Dear <PERSON_2>, thank you for your patience. The refund for your invoice was sent yesterday "
    "and should arrive within three business days. If anything is unclear, please contact "
    "<PERSON_1> at <EMAIL_ADDRESS_1>. Kind regards, the finance team."
)


async def turns(check: PiiCheck, detection: Detection, trials: int) -> None:
    """Whole turns as a chat client drives them: the answer the caller got back (scanned and
    restored by the guard) goes into the history that the next turn resends."""
    rng = random.Random(2)
    first, tenth = [], []
    for trial in range(trials):
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": "You are a helpful support assistant."}
        ]
        for turn in range(1, 11):
            filled = values(rng)
            messages.append({"role": "user", "content": PROMPT.format(**filled) + f" Case {trial}-{turn}."})
            started = time.perf_counter()
            out = await check.scan(tenant(True), request(list(messages)))
            elapsed = time.perf_counter() - started
            if turn == 1:
                first.append(elapsed)
            if turn == 10:
                tenth.append(elapsed)
            content = MODEL_ANSWER + f" ({trial}-{turn})"
            answer = Completion(body={"choices": [{"index": 0, "message": {"content": content}}]})
            answer = await guard_for(tenant(True), out, detection).on_completion(answer)
            messages.append({"role": "assistant", "content": answer.body["choices"][0]["message"]["content"]})
    ratio = statistics.median(tenth) / statistics.median(first)
    print(f"conversations: {trials} x 10 turns (turn 10 sends 20 messages)")
    print(f"  turn 1   {percentiles(first)}")
    print(f"  turn 10  {percentiles(tenth)}   ratio of p50s: {ratio:.2f}")


async def restore(check: PiiCheck, detection: Detection) -> None:
    rng = random.Random(3)
    filled = values(rng)
    out = await check.scan(tenant(False), request([{"role": "user", "content": PROMPT.format(**filled)}]))
    text = (ANSWER.format(**filled) + " ") * 20
    pieces, position = [], 0
    while position < len(text):
        size = rng.randint(1, 6)
        pieces.append(text[position : position + size])
        position += size
    guard = guard_for(tenant(False), out, detection)
    started = time.perf_counter()
    for piece in pieces:
        await guard.on_chunk(
            {"id": "c", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        )
    per_chunk_guard = (time.perf_counter() - started) / len(pieces)
    stream = Restorer(out.restoration.originals()).stream()
    started = time.perf_counter()
    for piece in pieces:
        stream.feed(piece)
    per_chunk_feed = (time.perf_counter() - started) / len(pieces)
    print(f"stream restore: {len(pieces)} chunks of 1-6 characters")
    print(f"  PiiGuard.on_chunk     {per_chunk_guard * 1e6:.1f} us per chunk")
    print(f"  StreamRestorer.feed   {per_chunk_feed * 1e6:.1f} us per chunk")


async def main(iterations: int) -> None:
    detection = Detection(PresidioDetector())
    check = PiiCheck(detection, Hasher("bench"))
    await stage(check, detection, iterations)
    await turns(check, detection, max(20, iterations // 10))
    await restore(check, detection)
    detection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=400)
    asyncio.run(main(parser.parse_args().iterations))
