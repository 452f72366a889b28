"""Bad input at scale: schemathesis against the gateway's own OpenAPI document (`/openapi.json`).

A real `gateway serve` (SQLite audit, PII detection on) in front of the loopback cloud
stand-in; schemathesis generates valid and invalid requests for every operation from the
document, with a valid key, and checks every answer: no 5xx, the status and content type
documented, and the body in the documented shape (the OpenAI error shape for every error).
Afterwards the audit chain must verify with one record per request.

    python bench/fuzz.py                   # `make fuzz`: at least 1,000 cases
    python bench/fuzz.py --examples 100    # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.policy_files import sha  # noqa: E402
from tests.servers import free_port  # noqa: E402

KEY = "fuzz-key"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def policies(directory: Path, cloud_port: int) -> Path:
    (directory / "tenants").mkdir(parents=True, exist_ok=True)
    gateway = {
        "providers": {
            "openai": {"base_url": f"http://127.0.0.1:{cloud_port}/v1", "api_key": "sk-standin"},
            "local": {"type": "llama_cpp"},  # required by the schema; no fuzz case is kept local
        },
        "models": {
            "local": {"provider": "local", "location": "local"},
            "gpt-4o": {"provider": "openai", "location": "cloud"},
            "gpt-4o-mini": {"provider": "openai", "location": "cloud"},
        },
    }
    tenant = {
        "tenant": "fuzz",
        "api_keys": [{"name": "fuzz", "sha256": sha(KEY)}],
        "models": ["gpt-4o", "gpt-4o-mini"],
        "routing": {"default": "cloud", "fallback": "none"},
    }
    (directory / "gateway.yaml").write_text(yaml.safe_dump(gateway))
    (directory / "tenants" / "fuzz.yaml").write_text(yaml.safe_dump(tenant))
    return directory


def wait_up(url: str, child: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"{url} exited with {child.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not start")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=400, help="cases per operation (3 operations)")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--output", type=Path, help="write the JSON summary here too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        work = Path(scratch)
        cloud_port, port = free_port(), free_port()
        database_url = f"sqlite:///{work / 'audit.db'}"
        env = {**os.environ, "GATEWAY_POLICIES_DIR": str(policies(work / "policies", cloud_port))}
        env |= {"GATEWAY_DATABASE_URL": database_url, "GATEWAY_PII_WORKERS": "0"}
        cloud = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "serve_standin.py"), "--port", str(cloud_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        gateway_log = (work / "gateway.log").open("wb")
        gateway = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
            env=env,
            stdout=gateway_log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        report = work / "report.json"
        try:
            wait_up(f"http://127.0.0.1:{cloud_port}/v1/models", cloud)
            try:
                wait_up(url + "/healthz", gateway)
            except SystemExit:
                print((work / "gateway.log").read_text()[-3000:], file=sys.stderr)
                raise
            started = time.monotonic()
            run = subprocess.run(
                [
                    str(Path(sys.executable).with_name("schemathesis")),
                    "run",
                    url + "/openapi.json",
                    "--header",
                    f"Authorization: Bearer {KEY}",
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    str(args.examples),
                    "--seed",
                    str(args.seed),
                    "--phases",
                    "examples,coverage,fuzzing",
                    "--generation-database",
                    "none",
                    "--workers",
                    "1",
                    "--no-color",
                    "--report",
                    "ndjson",
                    "--report-ndjson-path",
                    str(report),
                ],
                capture_output=True,
                text=True,
                cwd=work,
            )
            seconds = time.monotonic() - started
        finally:
            gateway.terminate()
            gateway.wait(timeout=120)
            cloud.terminate()
            cloud.wait(timeout=30)
        statuses: dict[str, int] = {}
        cases = 0
        for line in report.read_text().splitlines() if report.exists() else []:
            for status in _statuses(json.loads(line)):
                cases += 1
                statuses[status] = statuses.get(status, 0) + 1
        verify = subprocess.run(
            [sys.executable, "-m", "gateway", "audit", "verify", "--no-progress"],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url)
        with engine.connect() as connection:
            records = connection.execute(text("SELECT count(*) FROM audit_records")).scalar()
        engine.dispose()
        server_errors = sum(n for status, n in statuses.items() if status.startswith("5"))
        summary = {
            "schemathesis_exit": run.returncode,
            "cases": cases,
            "statuses": dict(sorted(statuses.items())),
            "server_errors": server_errors,
            "seconds": round(seconds, 1),
            "audit_records": records,
            "audit_verify_exit": verify.returncode,
            "tail": run.stdout[-3000:],
        }
    print(summary.pop("tail"))
    print(json.dumps(summary, indent=2))
    if args.output:
        args.output.write_text(json.dumps(summary, indent=2) + "\n")
    ok = run.returncode == 0 and server_errors == 0 and verify.returncode == 0
    return 0 if ok else 1


def _statuses(event: object) -> list[str]:
    """Every response status recorded in one schemathesis NDJSON event (its shape varies by
    version: look for interaction responses wherever they are)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            response = value.get("response")
            if isinstance(response, dict) and isinstance(response.get("status_code"), int):
                found.append(str(response["status_code"]))
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(event)
    return found


if __name__ == "__main__":
    raise SystemExit(main())
