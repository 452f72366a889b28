"""The database going away under load, and coming back: the gateway refuses what it cannot
record before anything leaves (503 `audit_unavailable`; the cloud never sees those requests),
recovers by itself, and loses nothing it committed (`gateway audit verify` passes).

PostgreSQL is shared by every test on the machine, so it is not stopped: the gateway reaches
it through a loopback proxy whose connections the test cuts and restores. SQLite is a file of
the test's own: it turns read-only, or full, under the gateway and back. Tests run as root,
which file modes do not stop, so SQLite is told so itself, on every connection of the process
(`PRAGMA query_only`, or `PRAGMA max_page_count` held at the file's size): each write is then
refused by SQLite as for a read-only file (SQLITE_READONLY) or a full disk (SQLITE_FULL).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, or_, select

from gateway.checks.pii.detector import Detector
from gateway.db.engine import make_engine
from gateway.db.models import AuditRecordRow
from tests.cuttable_proxy import cuttable_proxy
from tests.databases import fresh_database
from tests.integration.audit_support import cli, key_environ, use_audit_env
from tests.integration.conftest import Cloud, start_gateway
from tests.policy_files import STRICT_KEY

SQLITE_MAX_PAGES = 1073741823  # SQLite's default `max_page_count`


@dataclass(frozen=True)
class Answer:
    sent: float
    status: int
    code: str  # the error code, "" for a 200
    request_id: str
    serial: str


def under_load(
    tmp_path: Path,
    cloud: Cloud,
    presidio: Detector,
    database_url: str,
    fault: Callable[[], None],
    repair: Callable[[], None],
) -> tuple[list[Answer], set[str], float, float]:
    """4 clients asking without pause: 3 s healthy, 3 s with `fault()`, 5 s after `repair()`.
    Returns the answers, what the cloud received, and when the fault began and ended."""
    answers: list[Answer] = []
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
                code = "" if response.status_code == 200 else str(response.json()["error"]["code"])
                request_id = response.headers["x-request-id"]
                answers.append(Answer(sent, response.status_code, code, request_id, serial))

    cloud.app.received.clear()
    serving = contextmanager(start_gateway)
    with serving(tmp_path, cloud, database_url, presidio, environ=key_environ()) as gateway:
        threads = [threading.Thread(target=hammer, args=(gateway.url, n)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        fault_at = time.monotonic()
        fault()
        time.sleep(3)
        repair()
        repaired_at = time.monotonic()
        time.sleep(5)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    received = {str(body["messages"][-1]["content"]) for body in cloud.app.received}
    return answers, received, fault_at, repaired_at


def assert_survived(
    answers: list[Answer],
    received: set[str],
    fault_at: float,
    repaired_at: float,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert {answer.status for answer in answers} <= {200, 503}, {answer.status for answer in answers}
    assert any(answer.status == 200 for answer in answers if answer.sent < fault_at)
    refused = [answer for answer in answers if answer.status == 503]
    assert refused, "no request was refused while the database was away"
    assert {answer.code for answer in refused} == {"audit_unavailable"}
    late = [answer.status for answer in answers if answer.sent > repaired_at + 3]
    assert late and all(status == 200 for status in late)  # recovered by itself
    # Refused before egress: what the gateway could not record never reached the cloud.
    assert not [answer.serial for answer in refused if f"Question {answer.serial}?" in received]

    engine = make_engine(store_url)
    table = AuditRecordRow
    outcomes = select(table.request_id).where(or_(table.phase.is_(None), table.phase != "egress"))
    with engine.connect() as connection:
        stored = set(connection.execute(outcomes).scalars())
    engine.dispose()
    served = [answer.request_id for answer in answers if answer.status == 200]
    assert not [request_id for request_id in served if request_id not in stored]  # nothing lost
    use_audit_env(monkeypatch)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", store_url)
    result = cli("audit", "verify", "--no-progress")
    assert result.code == 0, result.out


@pytest.mark.postgres
def test_the_database_going_away_mid_load(
    tmp_path: Path, cloud: Cloud, presidio: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database("postgresql", tmp_path) as real_url, cuttable_proxy("127.0.0.1", 5432) as proxy:
        proxied_url = real_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        outcome = under_load(tmp_path, cloud, presidio, proxied_url, proxy.cut, proxy.restore)
        assert_survived(*outcome, real_url, monkeypatch)


class SqliteFault:
    """While `kind` is set, every SQLite connection of this process refuses writes: "read-only"
    (`PRAGMA query_only`) or "full" (`PRAGMA max_page_count` at the file's current size). Set
    before each statement, so that connections already open in the pool are caught too."""

    def __init__(self) -> None:
        self.kind: str | None = None

    def before_statement(self, conn: Any, cursor: Any, *_: Any) -> None:
        if conn.engine.dialect.name != "sqlite":
            return
        database = cursor.connection  # the sqlite3 connection: its own cursor, no event again
        database.execute(f"PRAGMA query_only={int(self.kind == 'read-only')}")
        if self.kind == "full":
            (pages,) = database.execute("PRAGMA page_count").fetchone()
            database.execute(f"PRAGMA max_page_count={pages}")
        else:
            database.execute(f"PRAGMA max_page_count={SQLITE_MAX_PAGES}")


@contextmanager
def sqlite_faults() -> Iterator[SqliteFault]:
    fault = SqliteFault()
    event.listen(Engine, "before_cursor_execute", fault.before_statement)
    try:
        yield fault
    finally:
        event.remove(Engine, "before_cursor_execute", fault.before_statement)


@pytest.mark.parametrize("kind", ["read-only", "full"])
def test_the_sqlite_file_turning_read_only_or_full_mid_load(
    kind: str, tmp_path: Path, cloud: Cloud, presidio: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database("sqlite", tmp_path) as url, sqlite_faults() as fault:

        def break_file() -> None:
            fault.kind = kind

        def mend_file() -> None:
            fault.kind = None

        outcome = under_load(tmp_path, cloud, presidio, url, break_file, mend_file)
        assert_survived(*outcome, url, monkeypatch)
