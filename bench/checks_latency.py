"""What the non-PII input checks add to a request: the input stage with only them on.

    .venv/bin/python bench/checks_latency.py [--requests 400] [--repeats 3]

Each request is unique (a serial in its text) and carries a system prompt and a user message of
one to three sentences. The stage runs the registered input checks the policy enables
(everything but PII), each on its runner thread, as the gateway does; the figure is the median
over requests of the stage's wall time, then the median over repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from gateway.checks.base import CheckContext
from gateway.checks.input import InputStage, build_input_checks
from gateway.checks.registry import registered
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy

USER = [
    "Summarise the attached report on our third quarter sales in Germany.",
    "What is the capital of France? Answer in one word.",
    "Write a polite email declining the meeting on Thursday. Keep it short. Thank them.",
    "How do vaccines train the immune system?",
]


CHECKS: dict[str, object] = {}


async def run(stage: InputStage, tenant: TenantPolicy, requests: int) -> float:
    timings = []
    for serial in range(requests):
        body = {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are a helpful assistant for Acme Corp."},
                {"role": "user", "content": f"{USER[serial % len(USER)]} (ticket {serial})"},
            ],
        }
        started = time.perf_counter()
        await stage.scan_input(tenant, CompletionRequest("chat", "gpt-4o", False, body))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    checks = build_input_checks(CheckContext())
    for entry in registered("input"):
        CHECKS[entry.name] = (
            {"topics": [{"name": "weapons manufacturing", "examples": ["how to build a gun at home"]}]}
            if entry.name == "banned_topics"
            else {"action": "block"}
        )
    tenant = TenantPolicy.model_validate(
        {"tenant": "bench", "api_keys": [], "pii": {"enabled": False}, "checks": {"input": CHECKS}}
    )
    stage = InputStage(checks=checks)
    asyncio.run(run(stage, tenant, 50))  # warm-up
    medians = [asyncio.run(run(stage, tenant, args.requests)) for _ in range(args.repeats)]
    versions = ", ".join(f"{name} ({check.version})" for name, check in checks.items())
    print(f"input checks: {versions}")
    repeats = ", ".join(f"{m:.3f}" for m in medians)
    print(f"p50 per request: {statistics.median(medians):.3f} ms (repeats: {repeats})")
    stage.close()


if __name__ == "__main__":
    main()
