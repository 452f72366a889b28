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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.served import audit_state, policies, serving  # noqa: E402
from tests.servers import free_port  # noqa: E402

KEY = "fuzz-key"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


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
        # No fuzz case is kept local: `fallback: none`.
        folder = policies(work / "policies", cloud_port, "fuzz", KEY, ["gpt-4o", "gpt-4o-mini"])
        env = {**os.environ, "GATEWAY_POLICIES_DIR": str(folder)}
        env |= {"GATEWAY_DATABASE_URL": database_url, "GATEWAY_PII_WORKERS": "0"}
        url = f"http://127.0.0.1:{port}"
        report = work / "report.json"
        with serving(work, env, "serve_standin.py", cloud_port, port):
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
        statuses: dict[str, int] = {}
        cases = 0
        for line in report.read_text().splitlines() if report.exists() else []:
            for status in _statuses(json.loads(line)):
                cases += 1
                statuses[status] = statuses.get(status, 0) + 1
        verify_exit, records = audit_state(env, database_url)
        server_errors = sum(n for status, n in statuses.items() if status.startswith("5"))
        summary = {
            "schemathesis_exit": run.returncode,
            "cases": cases,
            "statuses": dict(sorted(statuses.items())),
            "server_errors": server_errors,
            "seconds": round(seconds, 1),
            "audit_records": records,
            "audit_verify_exit": verify_exit,
            "tail": run.stdout[-3000:],
        }
    print(summary.pop("tail"))
    print(json.dumps(summary, indent=2))
    if args.output:
        args.output.write_text(json.dumps(summary, indent=2) + "\n")
    ok = run.returncode == 0 and server_errors == 0 and verify_exit == 0
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
