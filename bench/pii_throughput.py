"""Throughput with the PII stage, at concurrency 32, every request a prompt never seen before.

    .venv/bin/python -m bench.pii_throughput [--workers 0 2] [--duration 10]

Starts the cloud stand-in (bench/serve_standin.py) and, for each `--workers` value, one gateway
process (`python -m gateway serve`, the repo's policies/, the demo tenant: PII on, default
redact) with GATEWAY_PII_WORKERS set. A closed loop of 32 keep-alive connections (httpx) sends
non-stream chat requests whose prompt carries a name, an e-mail and a phone number and a
counter, so that the analysis cache never hits. Prints RPS and latency percentiles.
The generator shares the machine's two cores with the gateway and the stand-in.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KEY = "demo-key-change-me"
PROMPT = (
    "Hello, this is Jane Smith {n} from finance. Please write a short email to our customer Omar "
    "Haddad explaining that the refund for invoice {n} was sent. Reach me at jane{n}@example.com "
    "or +1 415 555 {phone}."
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def load(url: str, concurrency: int, duration: float, warmup: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    counter = 0
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + duration

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal counter, errors
        while time.perf_counter() < stop_at:
            counter += 1
            body = {
                "model": "gpt-4o",
                "messages": [
                    {"role": "user", "content": PROMPT.format(n=counter, phone=1000 + counter % 9000)}
                ],
            }
            sent = time.perf_counter()
            response = await client.post(url, json=body, headers={"authorization": f"Bearer {KEY}"})
            if sent >= measure_from:
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - sent)
                else:
                    errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    standin_port = free_port()
    standin = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "serve_standin.py"), "--port", str(standin_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{standin_port}/v1/models")
        for workers in args.workers:
            port = free_port()
            with tempfile.TemporaryDirectory() as tmp:
                env = {
                    **os.environ,
                    "OPENAI_BASE_URL": f"http://127.0.0.1:{standin_port}/v1",
                    "OPENAI_API_KEY": "sk-bench",
                    "GATEWAY_PII_WORKERS": str(workers),
                }
                command = [
                    sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port),
                    "--policies", str(ROOT / "policies"), "--database-url", f"sqlite:///{tmp}/audit.db",
                ]  # fmt: skip
                gateway = subprocess.Popen(
                    command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                try:
                    wait_for(f"http://127.0.0.1:{port}/healthz")
                    url = f"http://127.0.0.1:{port}/v1/chat/completions"
                    result = asyncio.run(load(url, args.concurrency, args.duration, args.warmup))
                finally:
                    gateway.terminate()
                    gateway.wait(timeout=30)
            print(
                f"workers={workers} c={args.concurrency}: {result['rps']:.0f} RPS, "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, errors {result['errors']}"
            )
    finally:
        standin.terminate()
        standin.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
