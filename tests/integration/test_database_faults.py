"""The database going away under load, and coming back: the gateway refuses what it cannot
record before anything leaves, recovers by itself, and loses nothing it committed.

PostgreSQL is shared by every test on the machine, so it is not stopped: the gateway reaches
it through a loopback proxy whose connections the test cuts and restores."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import or_, select

from gateway.checks.pii.detector import Detector
from gateway.db.engine import make_engine
from gateway.db.models import AuditRecordRow
from tests.cuttable_proxy import cuttable_proxy
from tests.databases import fresh_database
from tests.integration.audit_support import cli, key_environ, use_audit_env
from tests.integration.conftest import Cloud, start_gateway
from tests.policy_files import STRICT_KEY

pytestmark = pytest.mark.postgres


def test_the_database_going_away_mid_load(
    tmp_path: Path, cloud: Cloud, presidio: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[tuple[float, int, str, str]] = []  # (sent at, status, request id, serial)
    stop = threading.Event()

    def hammer(url: str, worker: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            turn = 0
            while not stop.is_set():
                turn += 1
                serial = f"serial-{worker}-{turn}"
                body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"Question {serial}?"}]}
                sent = time.monotonic()
                response = client.post(
                    "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {STRICT_KEY}"}
                )
                answers.append((sent, response.status_code, response.headers["x-request-id"], serial))

    with fresh_database("postgresql", tmp_path) as real_url, cuttable_proxy("127.0.0.1", 5432) as proxy:
        proxied_url = real_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        cloud.app.received.clear()
        with contextmanager(start_gateway)(
            tmp_path, cloud, proxied_url, presidio, environ=key_environ()
        ) as gateway:
            threads = [threading.Thread(target=hammer, args=(gateway.url, n)) for n in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(3)
            cut_at = time.monotonic()
            proxy.cut()
            time.sleep(3)
            proxy.restore()
            restored_at = time.monotonic()
            time.sleep(5)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        received = {str(body["messages"][-1]["content"]) for body in cloud.app.received}

        statuses = {status for _, status, _, _ in answers}
        assert statuses <= {200, 503}, statuses
        assert any(status == 200 for sent, status, _, _ in answers if sent < cut_at)
        refused = [a for a in answers if a[1] == 503]
        assert refused, "no request was refused while the database was away"
        late = [status for sent, status, _, _ in answers if sent > restored_at + 3]
        assert late and all(status == 200 for status in late)  # recovered by itself
        # Refused before egress: what the gateway could not record never reached the cloud.
        assert not [serial for _, _, _, serial in refused if f"Question {serial}?" in received]

        engine = make_engine(real_url)
        table = AuditRecordRow
        outcomes = select(table.request_id).where(or_(table.phase.is_(None), table.phase != "egress"))
        with engine.connect() as connection:
            stored = set(connection.execute(outcomes).scalars())
        engine.dispose()
        served = [request_id for _, status, request_id, _ in answers if status == 200]
        assert not [request_id for request_id in served if request_id not in stored]  # nothing lost
        use_audit_env(monkeypatch)
        monkeypatch.setenv("GATEWAY_DATABASE_URL", real_url)
        result = cli("audit", "verify", "--no-progress")
        assert result.code == 0, result.out
