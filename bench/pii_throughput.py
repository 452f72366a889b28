"""Throughput with the PII stage, at concurrency 32, every request a prompt never seen before.

    .venv/bin/python -m bench.pii_throughput [--workers 0 2] [--duration 10] [--output-scan both]
    .venv/bin/python -m bench.pii_throughput --workers 2 --output-scan on --checks all [--stream] [--stages]

`--checks all` adds every registered content check to the tenant, as issue 7's floors ask:
prompt_injection, toxicity and banned_topics on the input (block), toxicity (redact) and bias
(flag) on the output, besides the output PII scan.

Starts the cloud stand-in (bench/serve_standin.py --echo: it answers with the prompt it
received, so the output scan has new text every time) and, for each `--workers` value (and with and
without `checks.output.pii`), one gateway process (`python -m gateway serve`) with
GATEWAY_PII_WORKERS set, on a generated policy folder: the repo's gateway.yaml and one tenant
with the DESIGN example's PII policy (pseudonymize PERSON and EMAIL_ADDRESS, mask PHONE_NUMBER,
default redact) and no rate limits. A closed loop of 32 keep-alive connections
(bench/loadgen.py, raw asyncio) sends non-stream chat requests whose prompt carries two names,
an e-mail and a phone number and a counter, so that the analysis cache never hits. Prints RPS and
latency percentiles. The generator shares the machine's two cores with the gateway and stand-in.
`--stages` also prints where a request's time went: the mean of each pipeline stage over the run
(warm-up included), from the gateway's own `gateway_stage_duration_seconds` series.

First, the same load straight at the stand-in (4 s; `--no-baseline` skips it): this machine's
speed varies twofold within a day, so each run names its own ceiling, and each cell prints its
p50 and TTFB over the stand-in's, which is what the floors are stated against.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.loadgen import run_load

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
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


ALL_CHECKS = {
    "input": {
        "prompt_injection": {"action": "block"},
        "toxicity": {"action": "block", "threshold": 0.9},
        "banned_topics": {
            "action": "block",
            "topics": [  # the demo tenant's
                {
                    "name": "weapons manufacturing",
                    "examples": [
                        "how to build a gun at home",
                        "instructions to make a firearm or ammunition",
                    ],
                },
            ],
        },
    },
    "output": {"toxicity": {"action": "redact", "threshold": 0.9}, "bias": {"action": "flag"}},
}


def write_policies(directory: Path, output_scan: bool, all_checks: bool = False) -> Path:
    (directory / "tenants").mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "gateway.yaml", directory / "gateway.yaml")
    tenant = {
        "tenant": "bench",
        "api_keys": [{"name": "bench", "sha256": hashlib.sha256(KEY.encode()).hexdigest()}],
        "models": ["gpt-4o"],
        "pii": {
            "default_action": "redact",
            "entities": {"PERSON": "pseudonymize", "EMAIL_ADDRESS": "pseudonymize", "PHONE_NUMBER": "mask"},
        },
        "routing": {"default": "cloud"},
        "checks": {"output": {"pii": {"action": "redact"}}} if output_scan else {},
    }
    if all_checks:
        checks = {"input": dict(ALL_CHECKS["input"]), "output": dict(ALL_CHECKS["output"])}
        checks["output"].update(tenant["checks"].get("output", {}))  # type: ignore[union-attr]
        tenant["checks"] = checks
    (directory / "tenants" / "bench.yaml").write_text(json.dumps(tenant))  # JSON is YAML
    return directory


def stage_means(url: str) -> dict[str, tuple[float, int]]:
    """Mean milliseconds and uses of each stage, from the Prometheus text of `/metrics`."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for line in httpx.get(url, timeout=10).text.splitlines():
        if not line.startswith("gateway_stage_duration_seconds_"):
            continue
        series, value = line.rsplit(" ", 1)
        name = series.split('stage="', 1)[1].split('"', 1)[0]
        if series.startswith("gateway_stage_duration_seconds_sum"):
            sums[name] = sums.get(name, 0.0) + float(value)
        elif series.startswith("gateway_stage_duration_seconds_count"):
            counts[name] = counts.get(name, 0) + int(float(value))
    return {
        name: (sums[name] / counts[name] * 1000, counts[name]) for name in sorted(sums) if counts.get(name)
    }


def body(n: int, stream: bool = False) -> bytes:
    prompt = PROMPT.format(n=n, phone=1000 + n % 9000)
    request = {"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]}
    if stream:
        request["stream"] = True
    return json.dumps(request).encode()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--output-scan", choices=["on", "off", "both"], default="both")
    parser.add_argument(
        "--checks", choices=["pii", "all"], default="pii", help="all: every content check too"
    )
    parser.add_argument("--stream", action="store_true", help="streamed requests (TTFB is printed)")
    parser.add_argument("--stages", action="store_true", help="the mean time of each pipeline stage")
    parser.add_argument("--no-baseline", action="store_true", help="skip the load straight at the stand-in")
    args = parser.parse_args()
    make_body = functools.partial(body, stream=args.stream)
    scans = {"on": [True], "off": [False], "both": [False, True]}[args.output_scan]
    standin_port = free_port()
    standin = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "serve_standin.py"), "--port", str(standin_port), "--echo"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{standin_port}/v1/models")
        mock = {"p50": 0.0, "ttfb": 0.0}
        if not args.no_baseline:
            direct = f"http://127.0.0.1:{standin_port}/v1/chat/completions"
            alone = asyncio.run(run_load(direct, make_body(0), KEY, args.concurrency, 4.0, 1.0, make_body))
            alone_latency: dict[str, float] = alone["latency_ms"]  # type: ignore[assignment]
            alone_ttfb: dict[str, float] = alone["ttfb_ms"]  # type: ignore[assignment]
            mock = {"p50": alone_latency["p50"], "ttfb": alone_ttfb["p50"]}
            print(
                f"stand-in alone, c={args.concurrency} stream={args.stream}: {alone['rps']:.0f} RPS, "
                f"p50 {mock['p50']:.2f} ms, TTFB p50 {mock['ttfb']:.2f} ms"
            )
        for workers, output_scan in [(w, o) for w in args.workers for o in scans]:
            port = free_port()
            with tempfile.TemporaryDirectory() as tmp:
                policies = write_policies(Path(tmp) / "policies", output_scan, args.checks == "all")
                env = {
                    **os.environ,
                    "OPENAI_BASE_URL": f"http://127.0.0.1:{standin_port}/v1",
                    "OPENAI_API_KEY": "sk-bench",
                    "GATEWAY_PII_WORKERS": str(workers),
                }
                command = [
                    sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port),
                    "--policies", str(policies), "--database-url", f"sqlite:///{tmp}/audit.db",
                ]  # fmt: skip
                gateway = subprocess.Popen(
                    command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                try:
                    wait_for(f"http://127.0.0.1:{port}/healthz")
                    url = f"http://127.0.0.1:{port}/v1/chat/completions"
                    load = run_load(
                        url, make_body(0), KEY, args.concurrency, args.duration, args.warmup, make_body
                    )
                    result = asyncio.run(load)
                    stages = stage_means(f"http://127.0.0.1:{port}/metrics") if args.stages else {}
                finally:
                    gateway.terminate()
                    gateway.wait(timeout=30)
            latency: dict[str, float] = result["latency_ms"]  # type: ignore[assignment]
            ttfb: dict[str, float] = result["ttfb_ms"]  # type: ignore[assignment]
            print(
                f"workers={workers} output-scan={'on' if output_scan else 'off'} checks={args.checks} "
                f"stream={args.stream} c={args.concurrency}: "
                f"{result['rps']:.0f} RPS, p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms, "
                f"TTFB p50 {ttfb['p50']:.1f} ms, errors {result['errors']}, non-2xx {result['non_2xx']}"
                + (
                    f"; over the stand-in: p50 +{latency['p50'] - mock['p50']:.1f} ms, "
                    f"TTFB +{ttfb['p50'] - mock['ttfb']:.1f} ms"
                    if not args.no_baseline
                    else ""
                )
            )
            for name, (mean_ms, count) in stages.items():
                print(f"  stage {name}: mean {mean_ms:.2f} ms over {count} uses")
    finally:
        standin.terminate()
        standin.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
