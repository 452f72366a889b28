"""No lost records: kill the server (SIGKILL) under load; every response a client received must
have its committed audit record, and the chain must still verify. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gateway.db.engine import make_engine, upgrade
from gateway.db.models import AuditRecordRow
from tests.integration.audit_support import cli, key_environ, use_audit_env
from tests.integration.conftest import Cloud
from tests.policy_files import DEMO_KEY, write_policies
from tests.servers import free_port, wait_up


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    wait_up(url + "/healthz", process, seconds)


def hammer(url: str, received: list[str], stop: threading.Event) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "What is the capital of France?"}]}
    with httpx.Client(base_url=url, timeout=10) as client:
        turn = 0
        while not stop.is_set():
            turn += 1
            key = DEMO_KEY if turn % 4 else "not-a-key"  # a 401 is audited too
            try:
                response = client.post(
                    "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
                )
                response.read()  # the whole response: only then did the client receive it
            except httpx.HTTPError:
                continue  # cut off by the kill: nothing was received
            received.append(response.headers["x-request-id"])


def test_sigkill_under_load_loses_no_acknowledged_record(
    tmp_path: Path, cloud: Cloud, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    policies = write_policies(tmp_path / "policies", cloud.url)
    upgrade(database_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **key_environ(checkpoint_every=100), "GATEWAY_POLICIES_DIR": str(policies)}
    env["GATEWAY_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port), "--no-upgrade"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url, process)
        received: list[str] = []
        stop = threading.Event()
        clients = [threading.Thread(target=hammer, args=(url, received, stop)) for _ in range(8)]
        for client in clients:
            client.start()
        deadline = time.monotonic() + 30
        while len(received) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # mid-load: requests are in flight right now
        process.wait(timeout=10)
        stop.set()
        for client in clients:
            client.join(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert len(received) >= 100
    engine = make_engine(database_url)
    with engine.connect() as connection:
        stored = set(connection.execute(select(AuditRecordRow.request_id)).scalars())
    engine.dispose()
    missing = [request_id for request_id in received if request_id not in stored]
    assert missing == [], f"{len(missing)} acknowledged response(s) without a record"
    use_audit_env(monkeypatch)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    result = cli("audit", "verify", "--no-progress")
    assert result.code == 0, result.out
