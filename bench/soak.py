"""Soak: a steady open-loop load through the full privacy pipeline for a long time, watching
memory, errors and tail latency.

A real `gateway serve` (PII detection in its worker processes, input pseudonymised, output
scanned, every request audited to SQLite or PostgreSQL) in front of the 0 ms loopback mock
cloud (bench/fast_mock.py). Requests leave at a fixed rate whatever the answers do (open loop),
each with a unique prompt full of generated personal data (names, e-mails, phones, a serial),
one in ten streamed. Every 5 s the resident memory of the gateway's whole process tree is read
from /proc. After a warm-up, it reports per minute: requests, errors, p50/p99; RSS growth from
the end of the warm-up to the end; and that the audit log holds one record per request and
verifies.

    python bench/soak.py --minutes 10 --rps 50               # the BENCHMARKS.md figure
    python bench/soak.py --minutes 1 --rps 20 --warmup 20    # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from faker import Faker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.served import audit_state, policies, serving  # noqa: E402
from tests.servers import free_port  # noqa: E402

KEY = "soak-key"


PII = {
    "default_action": "redact",
    "entities": {"PERSON": "pseudonymize", "EMAIL_ADDRESS": "pseudonymize", "PHONE_NUMBER": "mask"},
}


def tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants (Linux /proc), in KiB."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    family, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    total = 0
    for pid in family:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def body(serial: int, fake: Faker) -> dict[str, Any]:
    prompt = (
        f"Ticket {serial}: {fake.name()} ({fake.email()}, {fake.phone_number()}) writes about "
        f"order {fake.bothify('??-#####')}: {fake.sentence(nb_words=14)}"
    )
    return {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": prompt}],
        "stream": serial % 10 == 0,
    }


async def one(
    client: httpx.AsyncClient, payload: dict[str, Any], results: list[tuple[float, float, int]]
) -> None:
    started = time.monotonic()
    try:
        async with client.stream("POST", "/v1/chat/completions", json=payload) as response:
            await response.aread()
            status = response.status_code
            if payload["stream"] and b'"error"' in response.content:
                status = 599  # an error reported in-band after the 200
    except httpx.HTTPError:
        status = 0
    results.append((started, time.monotonic() - started, status))


async def sample_rss(pid: int, start: float, rss: list[tuple[float, int]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        rss.append((time.monotonic() - start, await asyncio.to_thread(tree_rss_kib, pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=5)


async def load(
    url: str, rps: float, seconds: float, fake: Faker, rss: list[tuple[float, int]], pid: int
) -> list[tuple[float, float, int]]:
    """Open loop: request n leaves at start + n / rps, whether or not earlier ones returned."""
    results: list[tuple[float, float, int]] = []
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=128)
    headers = {"authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        start = time.monotonic()
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_rss(pid, start, rss, stop))
        tasks: set[asyncio.Task[None]] = set()
        serial = 0
        while (due := start + serial / rps) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))  # always yields to the requests
            task = asyncio.create_task(one(client, body(serial, fake), results))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            serial += 1
        if tasks:
            await asyncio.gather(*tasks)
        stop.set()
        await sampler
        rss.append((time.monotonic() - start, tree_rss_kib(pid)))
    return [(started - start, latency, status) for started, latency, status in results]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def summarize(
    results: list[tuple[float, float, int]], rss: list[tuple[float, int]], warmup: float
) -> dict[str, Any]:
    minutes: list[dict[str, Any]] = []
    last = int(max((t for t, _, _ in results), default=0) // 60)
    for minute in range(last + 1):
        inside = [(latency, status) for t, latency, status in results if minute * 60 <= t < (minute + 1) * 60]
        latencies = [latency * 1000 for latency, status in inside if status == 200]
        minutes.append(
            {
                "minute": minute + 1,
                "requests": len(inside),
                "errors": sum(1 for _, status in inside if status != 200),
                "p50_ms": round(percentile(latencies, 0.5), 1),
                "p99_ms": round(percentile(latencies, 0.99), 1),
            }
        )
    measured = [latency * 1000 for t, latency, status in results if t >= warmup and status == 200]
    after = [kib for t, kib in rss if t >= warmup]
    base = after[0] if after else 0
    return {
        "requests": len(results),
        "errors": sum(1 for _, _, status in results if status != 200),
        "statuses": {
            str(code): sum(1 for *_, s in results if s == code) for code in sorted({s for *_, s in results})
        },
        "p50_ms_after_warmup": round(percentile(measured, 0.5), 1),
        "p99_ms_after_warmup": round(percentile(measured, 0.99), 1),
        "rss_mib_at_warmup_end": round(base / 1024, 1),
        "rss_mib_at_end": round(after[-1] / 1024, 1) if after else 0,
        "rss_mib_max_after_warmup": round(max(after) / 1024, 1) if after else 0,
        "rss_growth_pct": round((after[-1] - base) / base * 100, 2) if base else None,
        "per_minute": minutes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rps", type=float, default=50)
    parser.add_argument("--warmup", type=float, default=120, help="seconds before RSS and p99 count")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--output", type=Path, help="write the JSON summary here too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        work = Path(scratch)
        cloud_port, port = free_port(), free_port()
        database_url = args.database_url or f"sqlite:///{work / 'audit.db'}"
        output = {"output": {"pii": {"action": "redact"}}}
        folder = policies(work / "policies", cloud_port, "soak", KEY, ["gpt-4o"], pii=PII, checks=output)
        env = {**os.environ, "GATEWAY_POLICIES_DIR": str(folder), "GATEWAY_DATABASE_URL": database_url}
        url = f"http://127.0.0.1:{port}"
        workers = ["--workers", str(args.workers)]
        with serving(work, env, "fast_mock.py", cloud_port, port, workers) as gateway:
            rss: list[tuple[float, int]] = []
            load_at_start = os.getloadavg()[0]  # other work on the machine shows in the tail
            Faker.seed(20261201)
            results = asyncio.run(load(url, args.rps, args.minutes * 60, Faker(), rss, gateway.pid))
        summary = summarize(results, rss, args.warmup)
        summary["load_average_1m_at_start_and_end"] = [round(load_at_start, 2), round(os.getloadavg()[0], 2)]
        summary["config"] = {
            "minutes": args.minutes,
            "rps": args.rps,
            "warmup_s": args.warmup,
            "workers": args.workers,
        }
        summary["audit_verify_exit"], summary["audit_records"] = audit_state(env, database_url)
    print(json.dumps(summary, indent=2))
    if args.output:
        args.output.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["errors"] == 0 and summary["audit_verify_exit"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
