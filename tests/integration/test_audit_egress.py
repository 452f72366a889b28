"""Nothing leaves unrecorded: with the audit store unable to take writes (its write lock held by
someone else, the database read-only or refusing connections), no byte reaches a provider, the
caller gets 503 with Retry-After, /readyz is not ready, and every request still ends with its
record once the store is back. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine, create_engine, select, text

from gateway.checks.pii.detector import Detector
from gateway.db.engine import upgrade
from gateway.db.models import AuditRecordRow
from tests.integration.audit_support import cli, use_audit_env
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.policy_files import DEMO_KEY, LOCAL_KEY

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello John Smith"}]}
WRITE_TIMEOUT = 0.5


def block_ssn(policies: Path) -> None:
    path = policies / "tenants" / "demo.yaml"
    tenant = yaml.safe_load(path.read_text())
    tenant["pii"] = {"entities": {"PERSON": "pseudonymize", "US_SSN": "block"}}
    path.write_text(yaml.safe_dump(tenant))


@pytest.fixture
def gateway_db(
    tmp_path: Path, cloud: Cloud, database_url: str, presidio: Detector, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningGateway]:
    use_audit_env(monkeypatch)
    yield from start_gateway(
        tmp_path, cloud, database_url, presidio, block_ssn, audit_write_timeout_seconds=WRITE_TIMEOUT
    )


@contextmanager
def store_locked(engine: Engine) -> Iterator[None]:
    """Another session holds the chain's write lock: SQLite BEGIN EXCLUSIVE on another
    connection, PostgreSQL the chain head row locked FOR UPDATE from another session."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        raw.driver_connection.execute("BEGIN EXCLUSIVE")  # type: ignore[union-attr]
        try:
            yield
        finally:
            raw.driver_connection.execute("ROLLBACK")  # type: ignore[union-attr]
            raw.close()
        return
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT * FROM audit_chain_head FOR UPDATE"))
        yield


def post(gateway: RunningGateway, body: dict[str, Any], key: str = DEMO_KEY) -> httpx.Response:
    return httpx.post(
        gateway.url + "/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {key}"},
        timeout=30,
    )


def entries(engine: Engine, request_id: str) -> list[dict[str, Any]]:
    table = AuditRecordRow
    query = select(table.phase, table.outcome, table.status_code, table.destinations, table.error_code)
    with engine.connect() as connection:
        rows = connection.execute(query.where(table.request_id == request_id).order_by(table.seq))
        return [dict(row._mapping) for row in rows]


def eventually(engine: Engine, request_id: str, seconds: float = 15) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = entries(engine, request_id)
        if found and found[-1]["phase"] != "egress":
            return found
        time.sleep(0.1)
    return entries(engine, request_id)


def test_held_write_lock_refuses_before_egress_and_records_everything(
    gateway_db: RunningGateway, cloud: Cloud
) -> None:
    gateway = gateway_db
    before = len(cloud.app.received)
    with store_locked(gateway.engine):
        ready = httpx.get(gateway.url + "/readyz", timeout=10)
        refused = post(gateway, CHAT)
        unauthorized = post(gateway, CHAT, key="not-a-key")
        blocked = post(gateway, {**CHAT, "messages": [{"role": "user", "content": "my ssn is 078-05-1120"}]})
        local = post(gateway, {**CHAT, "model": "local"}, key=LOCAL_KEY)
        streamed = post(gateway, {**CHAT, "stream": True})
        assert len(cloud.app.received) == before  # not one byte reached the cloud
    assert ready.status_code == 503 and ready.json()["reason"] == "audit_unavailable"
    for response in (refused, local, streamed):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "audit_unavailable"
        assert int(response.headers["retry-after"]) > 0
    assert unauthorized.status_code == 401 and blocked.status_code == 403

    # The store is back: every request has its record, and none says it went anywhere.
    for response in (refused, unauthorized, blocked, local, streamed):
        found = eventually(gateway.engine, response.headers["x-request-id"])
        assert [e["phase"] for e in found] == ["record"], found
        assert found[0]["status_code"] == response.status_code
        assert found[0]["destinations"] == []
    assert httpx.get(gateway.url + "/readyz", timeout=10).status_code == 200
    assert post(gateway, CHAT).status_code == 200


def test_a_stream_whose_outcome_cannot_be_written_still_ends_with_done(
    gateway_db: RunningGateway, cloud: Cloud
) -> None:
    """The egress entry is committed, then the lock is taken while the cloud thinks: the
    stream is delivered whole, ends with [DONE], and its outcome entry follows the lock."""
    gateway = gateway_db
    cloud.app.slow_seconds = 1.0
    before = len(cloud.app.received)
    lines: list[str] = []

    def stream() -> None:
        body = {**CHAT, "model": "fail-slow", "stream": True}
        headers = {"authorization": f"Bearer {DEMO_KEY}"}
        with httpx.stream(
            "POST", gateway.url + "/v1/chat/completions", json=body, headers=headers, timeout=30
        ) as r:
            lines.append(r.headers["x-request-id"])
            lines.extend(line for line in r.iter_lines() if line)

    try:
        client = threading.Thread(target=stream)
        client.start()
        deadline = time.monotonic() + 10
        while len(cloud.app.received) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        with store_locked(gateway.engine):
            client.join(timeout=20)
    finally:
        cloud.app.slow_seconds = 30.0
    request_id, events = lines[0], lines[1:]
    assert events[-1] == "data: [DONE]", events
    assert "Paris" in "".join(
        json.loads(e[6:])["choices"][0]["delta"].get("content", "")
        for e in events[:-1]
        if json.loads(e[6:]).get("choices")
    )
    found = eventually(gateway.engine, request_id)
    assert [e["phase"] for e in found] == ["egress", "outcome"]
    assert found[-1]["outcome"] == "ok" and found[-1]["destinations"][-1]["outcome"] == "ok"


def test_cloud_request_has_egress_then_outcome(gateway_db: RunningGateway) -> None:
    response = post(gateway_db, CHAT)
    assert response.status_code == 200
    found = entries(gateway_db.engine, response.headers["x-request-id"])
    assert [e["phase"] for e in found] == ["egress", "outcome"]
    assert found[0]["outcome"] == "sent" and found[0]["status_code"] is None
    assert found[0]["destinations"] == [{"location": "cloud", "model": "gpt-4o", "outcome": "sent"}]
    assert found[1]["destinations"] == [{"location": "cloud", "model": "gpt-4o", "outcome": "ok"}]


@contextmanager
def refusing_connections(engine: Engine) -> Iterator[None]:
    """PostgreSQL: the database stops accepting connections and its sessions are ended."""
    name = engine.url.database
    admin = create_engine(engine.url.set(database="test"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        )
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_unwritable_store_is_not_ready_and_nothing_is_sent(
    tmp_path: Path, cloud: Cloud, database_url: str, presidio: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite opened read-only; PostgreSQL refusing connections to the database."""
    use_audit_env(monkeypatch)
    upgrade(database_url)
    sqlite = database_url.startswith("sqlite")
    url = (
        f"sqlite:///file:{database_url.removeprefix('sqlite:///')}?mode=ro&uri=true"
        if sqlite
        else database_url
    )
    running = start_gateway(tmp_path, cloud, url, presidio, audit_write_timeout_seconds=WRITE_TIMEOUT)
    gateway = next(running)
    try:
        assert httpx.get(gateway.url + "/readyz", timeout=10).status_code == (503 if sqlite else 200)
        with nullcontext() if sqlite else refusing_connections(gateway.engine):
            before = len(cloud.app.received)
            ready = httpx.get(gateway.url + "/readyz", timeout=10)
            refused = post(gateway, CHAT)
            assert len(cloud.app.received) == before
        assert ready.status_code == 503
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "audit_unavailable"
        assert "retry-after" in refused.headers
        if sqlite:  # kept on disk until the store takes writes again
            spool = list((tmp_path / "spool").glob("*/*.jsonl"))
            assert spool and refused.headers["x-request-id"] in spool[0].read_text()
        else:  # back: the refusal's record follows
            assert [e["phase"] for e in eventually(gateway.engine, refused.headers["x-request-id"])] == [
                "record"
            ]
    finally:
        next(running, None)


def test_crash_between_phases_reads_as_sent_outcome_unknown(
    tmp_path: Path, cloud: Cloud, database_url: str, presidio: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the egress entry made it (the process died before the outcome): the chain
    verifies, and every reader says the data was sent and the outcome is unknown."""
    from gateway.audit.trail import Trail
    from gateway.routing import Route
    from tests.integration.audit_support import write

    use_audit_env(monkeypatch)
    upgrade(database_url)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    engine = create_engine(database_url)
    trail = Trail("req_crashed_between_phases", "chat")
    trail.route = Route(
        provider="openai", model="gpt-4o", upstream_model="gpt-4o", location="cloud", reasons=("model:cloud",)
    )
    write(engine, [trail.sending()])
    engine.dispose()
    assert cli("audit", "verify", "--no-progress").code == 0
    exported = [json.loads(line) for line in cli("audit", "export", "--format", "jsonl").out.splitlines()]
    assert [(r["request_id"], r["phase"], r["outcome"]) for r in exported] == [
        ("req_crashed_between_phases", "egress", "sent")
    ]
    report = cli("audit", "report", "--location", "cloud")
    assert "sent, outcome unknown" in report.out


def test_every_destination_is_recorded_and_a_failed_cloud_attempt_counts_as_cloud(
    gateway_db: RunningGateway, cloud: Cloud, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {**CHAT, "model": "fail-500", "max_tokens": 4}
    response = post(gateway_db, body)
    assert response.status_code == 200 and response.headers["x-gateway-route"] == "local"
    found = entries(gateway_db.engine, response.headers["x-request-id"])
    assert [e["phase"] for e in found] == ["egress", "egress", "outcome"]
    assert found[-1]["destinations"] == [
        {"location": "cloud", "model": "fail-500", "outcome": "error", "error_code": "upstream_error"},
        {"location": "local", "model": "local", "outcome": "ok"},
    ]
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    report = cli("audit", "report", "--location", "cloud", "--entity", "PERSON")
    assert "requests: 1" in report.out, report.out
    reached = [line.split() for line in report.out.splitlines() if line.startswith("pii ")]
    assert ["pii", "PERSON", "cloud", "pseudonymize", "1", "1"] in reached  # the failed attempt
    assert ["pii", "PERSON", "local", "pseudonymize", "1", "1"] in reached
    listed = cli("audit", "query", "--location", "cloud", "--format", "jsonl").out
    assert response.headers["x-request-id"] in listed


def test_a_pii_block_lists_the_checks_that_ran(gateway_db: RunningGateway) -> None:
    response = post(gateway_db, {**CHAT, "messages": [{"role": "user", "content": "my ssn is 078-05-1120"}]})
    assert response.status_code == 403
    table = AuditRecordRow
    with gateway_db.engine.connect() as connection:
        checks = connection.execute(
            select(table.checks).where(table.request_id == response.headers["x-request-id"])
        ).scalar_one()
    said = [(c["check"], c["stage"], c["status"], c["detail"]) for c in checks if c["status"] != "skipped"]
    assert ("pii", "input", "blocked", "pii:US_SSN") in said
