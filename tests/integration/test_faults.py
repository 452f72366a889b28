"""Faults survived: the cloud failing in each way it can, Redis going away, SIGTERM under load.
Each test asserts what the client got and what the audit log holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine, func, or_, select

from gateway.checks.pii.detector import Detector
from gateway.db.engine import make_engine, upgrade
from gateway.db.models import AuditRecordRow
from tests.faulty_upstream import FaultyUpstream, faulty_upstream
from tests.integration.audit_support import key_environ
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.integration.test_audit_durability import wait_until_up
from tests.policy_files import STRICT_KEY, sha, write_policies
from tests.servers import free_port
from tests.services_on_demand import redis_server

FAULT_MODELS = ["fault-reset", "fault-truncate", "slow-answer", "slow-stream"]
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def add_faulty_provider(policies: Path, upstream_url: str) -> None:
    """Route the fault models to the faulty upstream, for the `strict` tenant (no fallback)."""
    gateway_file = policies / "gateway.yaml"
    gateway = yaml.safe_load(gateway_file.read_text())
    gateway["providers"]["faulty"] = {
        "base_url": upstream_url,
        "api_key": "sk-faulty",
        "timeout_seconds": 5.0,
    }
    for model in FAULT_MODELS:
        gateway["models"][model] = {"provider": "faulty", "location": "cloud"}
    gateway_file.write_text(yaml.safe_dump(gateway))
    strict_file = policies / "tenants" / "strict.yaml"
    strict = yaml.safe_load(strict_file.read_text())
    strict["models"] = [*strict["models"], *FAULT_MODELS]
    strict_file.write_text(yaml.safe_dump(strict))


def stored(engine: Engine, request_id: str) -> AuditRecordRow:
    """The request's last entry: its outcome (a request that reached a provider also has an
    egress entry per attempt before it)."""
    table = AuditRecordRow
    query = select(table).where(
        table.request_id == request_id, or_(table.phase.is_(None), table.phase != "egress")
    )
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return row  # type: ignore[return-value]


def egress_entries(engine: Engine, request_id: str) -> int:
    table = AuditRecordRow
    query = select(func.count()).where(table.request_id == request_id, table.phase == "egress")
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def ask(url: str, model: str, key: str = STRICT_KEY, **fields: Any) -> httpx.Response:
    body = {"model": model, "messages": QUESTION, **fields}
    return httpx.post(
        url + "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}, timeout=60
    )


def sse_events(response: httpx.Response) -> list[str]:
    return [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data: ")]


@pytest.fixture
def faulty_gateway(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> Iterator[RunningGateway]:
    with faulty_upstream() as (_, upstream_url):
        gateway = contextmanager(start_gateway)(
            tmp_path, cloud, sqlite_url, presidio, prepare=lambda p: add_faulty_provider(p, upstream_url)
        )
        with gateway as running:
            yield running


@pytest.mark.parametrize(
    ("model", "status", "code"),
    [
        ("fail-500", 502, "upstream_error"),  # the cloud answers HTTP 500
        ("fail-slow", 504, "upstream_timeout"),  # the cloud hangs past the provider's timeout
        ("fault-reset", 502, "upstream_error"),  # the cloud resets the connection
    ],
)
def test_a_failing_cloud_is_a_clear_error_and_one_record(
    faulty_gateway: RunningGateway, model: str, status: int, code: str
) -> None:
    response = ask(faulty_gateway.url, model)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.headers["x-gateway-route"] == "cloud"
    record = stored(faulty_gateway.engine, response.headers["x-request-id"])
    assert (record.status_code, record.outcome, record.error_code) == (status, "error", code)
    assert egress_entries(faulty_gateway.engine, response.headers["x-request-id"]) == 1  # the attempt


def test_a_truncated_stream_ends_in_an_error_event_and_its_record(faulty_gateway: RunningGateway) -> None:
    response = ask(faulty_gateway.url, "fault-truncate", stream=True)
    assert response.status_code == 200  # the status was sent with the first chunk
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])["error"]
    assert error["code"] == "upstream_error" and "capital" not in error["message"]
    assert any("The capital" in event for event in events[:-2])  # what arrived before the cut
    record = stored(faulty_gateway.engine, response.headers["x-request-id"])
    assert (record.status_code, record.outcome, record.error_code) == (200, "error", "upstream_error")


def test_redis_going_away_fails_closed_on_budgets_and_serves_the_rest(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> None:
    keys = {"budgeted": "test-key-budgeted", "unseen": "test-key-unseen", "metered": "test-key-metered"}

    def prepare(policies: Path) -> None:
        for tenant, key in keys.items():
            limits = {"requests_per_minute": 1000}
            if tenant != "metered":
                limits["monthly_budget_usd"] = 100  # type: ignore[assignment]
            entry = {
                "tenant": tenant,
                "api_keys": [{"name": "app", "sha256": sha(key)}],
                "models": ["gpt-4o"],
            }
            entry |= {"routing": {"default": "cloud", "fallback": "none"}, "limits": limits}
            (policies / "tenants" / f"{tenant}.yaml").write_text(yaml.safe_dump(entry))

    with redis_server(tmp_path / "redis") as redis:
        gateway = contextmanager(start_gateway)(
            tmp_path, cloud, sqlite_url, presidio, prepare=prepare, redis_url=redis.url
        )
        with gateway as running:
            assert ask(running.url, "gpt-4o", keys["budgeted"]).status_code == 200  # its spend is read
            assert ask(running.url, "gpt-4o", keys["metered"]).status_code == 200
            redis.stop()
            assert ask(running.url, "gpt-4o", keys["metered"]).status_code == 200  # rates: per process
            assert ask(running.url, "gpt-4o", keys["budgeted"]).status_code == 200  # known, under budget
            refused = ask(running.url, "gpt-4o", keys["unseen"])  # a budget it cannot know
            assert refused.status_code == 503 and refused.headers["retry-after"]
            assert refused.json()["error"]["code"] == "limits_unavailable"
            record = stored(running.engine, refused.headers["x-request-id"])
            assert (record.status_code, record.error_code, record.tenant) == (
                503,
                "limits_unavailable",
                "unseen",
            )

            redis.start()
            deadline = time.monotonic() + 10
            while (status := ask(running.url, "gpt-4o", keys["unseen"]).status_code) != 200:
                assert status == 503 and time.monotonic() < deadline  # back within its retry pause
                time.sleep(0.3)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_drains_requests_in_flight_and_writes_their_records(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, workers: int
) -> None:
    upstream = FaultyUpstream(slow_seconds=2.0, chunk_seconds=0.25, stream_chunks=8)
    with faulty_upstream(upstream) as (_, upstream_url):
        policies = write_policies(tmp_path / "policies", cloud.url)
        add_faulty_provider(policies, upstream_url)
        upgrade(sqlite_url)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, **key_environ(), "GATEWAY_POLICIES_DIR": str(policies)}
        env |= {"GATEWAY_DATABASE_URL": sqlite_url, "GATEWAY_PII_WORKERS": "0"}
        command = [sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", str(workers)]
        process = subprocess.Popen(
            [*command, "--no-upgrade"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_until_up(url, process, seconds=600)  # a loaded machine starts slowly
            responses: list[httpx.Response] = []
            lock = threading.Lock()

            def client(model: str, stream: bool) -> None:
                response = ask(url, model, stream=stream)
                with lock:
                    responses.append(response)

            plan = [("slow-answer", False)] * 6 + [("slow-stream", True)] * 4
            threads = [threading.Thread(target=client, args=item) for item in plan]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while upstream.requests < len(plan):  # every request is now with the upstream
                assert time.monotonic() < deadline
                time.sleep(0.02)
            process.send_signal(signal.SIGTERM)
            for thread in threads:
                thread.join(timeout=60)
            # uvicorn re-raises the signal once it has drained: a clean exit reads -SIGTERM
            assert process.wait(timeout=60) in (0, -signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert len(responses) == len(plan)
    assert all(response.status_code == 200 for response in responses)
    streams = [sse_events(r) for r in responses if r.headers["content-type"].startswith("text/event-stream")]
    assert len(streams) == 4
    assert all(events[-1] == "[DONE]" and sum("word" in e for e in events) == 8 for events in streams)
    engine = make_engine(sqlite_url)
    for response in responses:
        record = stored(engine, response.headers["x-request-id"])
        assert (record.status_code, record.outcome) == (200, "ok")
    engine.dispose()
