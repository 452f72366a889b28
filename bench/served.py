"""What the whole-gateway runs share (bench/fuzz.py, bench/soak.py): a policy folder for one
tenant in front of a loopback cloud, a real `gateway serve` and that cloud as child processes,
and what the audit log holds afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.policy_files import sha
from tests.servers import wait_up

ROOT = Path(__file__).resolve().parents[1]


def policies(
    directory: Path, cloud_port: int, tenant: str, key: str, models: Sequence[str], **more: Any
) -> Path:
    """`directory` as a policy folder: one tenant (its key `key`, its cloud `models`, and `more`
    of its policy) on the loopback cloud, and a local model (the schema requires one; never
    loaded by these runs: requests go to the cloud or are refused)."""
    (directory / "tenants").mkdir(parents=True, exist_ok=True)
    gateway = {
        "providers": {
            "openai": {"base_url": f"http://127.0.0.1:{cloud_port}/v1", "api_key": "sk-standin"},
            "local": {"type": "llama_cpp"},
        },
        "models": {
            "local": {"provider": "local", "location": "local"},
            **{model: {"provider": "openai", "location": "cloud"} for model in models},
        },
    }
    policy = {
        "tenant": tenant,
        "api_keys": [{"name": tenant, "sha256": sha(key)}],
        "models": list(models),
        "routing": {"default": "cloud", "fallback": "none"},
        **more,
    }
    (directory / "gateway.yaml").write_text(yaml.safe_dump(gateway))
    (directory / "tenants" / f"{tenant}.yaml").write_text(yaml.safe_dump(policy))
    return directory


@contextmanager
def serving(
    work: Path, env: dict[str, str], cloud: str, cloud_port: int, port: int, serve_args: Sequence[str] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """The cloud (`bench/<cloud>`) and `gateway serve` on `port`, both up (the gateway ready)
    until the block ends; yields the gateway's process. Their output goes to `work`/*.log;
    the gateway's tail is printed when it does not start."""
    cloud_log, gateway_log = (work / "cloud.log").open("wb"), (work / "gateway.log").open("wb")
    cloud_child = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / cloud), "--port", str(cloud_port)],
        stdout=cloud_log,
        stderr=subprocess.STDOUT,
    )
    gateway = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port), *serve_args],
        env=env,
        stdout=gateway_log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        wait_up(f"http://127.0.0.1:{cloud_port}/v1/models", cloud_child, seconds=180)
        try:
            wait_up(f"http://127.0.0.1:{port}/readyz", gateway, seconds=180)
        except RuntimeError:
            print((work / "gateway.log").read_text()[-3000:], file=sys.stderr)
            raise
        yield gateway
    finally:
        gateway.terminate()
        gateway.wait(timeout=120)
        cloud_child.terminate()
        cloud_child.wait(timeout=30)
        cloud_log.close()
        gateway_log.close()


def audit_state(env: dict[str, str], database_url: str) -> tuple[int, int]:
    """(`gateway audit verify`'s exit status, the number of audit records)."""
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
        records = int(connection.execute(text("SELECT count(*) FROM audit_records")).scalar() or 0)
    engine.dispose()
    return verify.returncode, records
