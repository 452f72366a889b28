"""A fleet on one machine: 2 replicas x 2 worker processes (`gateway serve --workers 2`), one
PostgreSQL, one Redis. The limits hold across all four processes, the audit chain they write
concurrently verifies, and a real Prometheus scrapes every worker's metrics."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
import yaml
from sqlalchemy import select

from gateway.db.engine import make_engine, upgrade
from gateway.db.models import AuditRecordRow
from tests.databases import fresh_database
from tests.integration.audit_support import key_environ
from tests.integration.conftest import Cloud
from tests.integration.test_audit_durability import wait_until_up
from tests.integration.test_metrics import scraped
from tests.integration.test_policy_reload import wait_for
from tests.policy_files import DEMO_KEY, sha, write_policies
from tests.servers import free_port
from tests.services_on_demand import prometheus_server, redis_server

pytestmark = pytest.mark.postgres

METERED_KEY = "test-key-metered"
METERED_RPM = 30


@dataclass
class Fleet:
    urls: list[str]
    database_url: str
    environ: dict[str, str]
    pids: list[int]


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def start_replica(environ: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--workers", "2", "--port", str(port), "--no-upgrade"],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return f"http://127.0.0.1:{port}", process


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, cloud: Cloud) -> Iterator[Fleet]:
    tmp_path = tmp_path_factory.mktemp("fleet")
    policies = write_policies(tmp_path / "policies", cloud.url)
    metered = {
        "tenant": "metered",
        "api_keys": [{"name": "app", "sha256": sha(METERED_KEY)}],
        "models": ["gpt-4o"],
        "routing": {"default": "cloud"},
        "limits": {"requests_per_minute": METERED_RPM},
    }
    (policies / "tenants" / "metered.yaml").write_text(yaml.safe_dump(metered))
    with fresh_database("postgresql", tmp_path) as database_url, redis_server(tmp_path / "redis") as redis:
        upgrade(database_url)
        environ = {
            **os.environ,
            **key_environ(checkpoint_every=25),  # checkpoints signed while the processes interleave
            "GATEWAY_POLICIES_DIR": str(policies),
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_REDIS_URL": redis.url,
            "GATEWAY_PII_WORKERS": "0",  # four server processes already share two cores here
        }
        replicas = [start_replica(environ) for _ in range(2)]
        try:
            for url, process in replicas:
                wait_until_up(url, process, seconds=600)  # four processes load NER at once
            yield Fleet(
                [url for url, _ in replicas], database_url, environ, [process.pid for _, process in replicas]
            )
        finally:
            for _, process in replicas:
                process.terminate()
            for _, process in replicas:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def ask(url: str, key: str) -> int:
    client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
    try:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hello?"}])
    except openai.RateLimitError as refused:
        assert refused.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
        assert int(refused.response.headers["retry-after"]) >= 1
        return 429
    return 200


def test_each_replica_runs_two_server_processes(fleet: Fleet) -> None:
    for pid in fleet.pids:
        workers = [
            child for child in children(pid) if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text()
        ]
        assert len(workers) == 2


def test_a_tenant_limit_holds_across_replicas_and_workers(fleet: Fleet) -> None:
    """30 rpm, 60 requests spread over both replicas within a minute: exactly 30 served (the
    shared request count is exact), the other 30 refused with 429."""
    statuses: list[int] = []
    lock = threading.Lock()

    def client(turns: range) -> None:
        for turn in turns:
            status = ask(fleet.urls[turn % 2], METERED_KEY)
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=client, args=(range(start, 60, 4),)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 60
    assert statuses.count(200) == METERED_RPM and statuses.count(429) == 60 - METERED_RPM


def test_four_processes_write_one_chain_that_verifies(fleet: Fleet) -> None:
    received: list[str] = []
    lock = threading.Lock()
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "What is the capital of France?"}]}

    def client(index: int) -> None:
        with httpx.Client(base_url=fleet.urls[index % 2], timeout=30) as http:
            for turn in range(40):
                key = DEMO_KEY if turn % 5 else "not-a-key"  # a 401 is audited too
                response = http.post(
                    "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
                )
                assert response.status_code in (200, 401), response.text
                with lock:
                    received.append(response.headers["x-request-id"])

    threads = [threading.Thread(target=client, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(received) == 320

    engine = make_engine(fleet.database_url)
    with engine.connect() as connection:
        stored = set(connection.execute(select(AuditRecordRow.request_id)).scalars())
    engine.dispose()
    assert set(received) <= stored
    verify = subprocess.run(
        [sys.executable, "-m", "gateway", "audit", "verify", "--no-progress"],
        env=fleet.environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_prometheus_scrapes_both_workers_of_each_replica(fleet: Fleet, tmp_path: Path) -> None:
    before = scraped(fleet.urls[0], "gateway_requests_total")
    lag_before = scraped(fleet.urls[0], "gateway_audit_write_lag_seconds_count")
    for _ in range(20):  # each on a new connection: the workers take turns accepting them
        assert ask(fleet.urls[0], DEMO_KEY) == 200
    counted = scraped(fleet.urls[0], "gateway_requests_total")
    assert counted - before == 20  # one scrape, answered by one worker, counts both workers' requests
    # Each worker's audit commits too (observed just after each answer left: wait for the last).
    lag = "gateway_audit_write_lag_seconds_count"
    wait_for(lambda: scraped(fleet.urls[0], lag) - lag_before == 20, seconds=30)
    assert scraped(fleet.urls[0], "gateway_local_queue_depth") == 0  # every worker's, summed: none queued

    targets = [url.removeprefix("http://") for url in fleet.urls]
    with prometheus_server(tmp_path / "prometheus", targets) as prometheus:
        query = f'sum by (instance) (gateway_requests_total{{instance="{targets[0]}"}})'
        deadline = time.monotonic() + 60
        value = None
        while time.monotonic() < deadline:
            result = httpx.get(prometheus.url + "/api/v1/query", params={"query": query}).json()
            assert result["status"] == "success"
            if result["data"]["result"]:
                value = float(result["data"]["result"][0]["value"][1])
                if value == counted:
                    break
            time.sleep(0.5)
        assert value == counted
