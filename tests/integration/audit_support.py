"""Helpers for the audit tests: fixed test keys, records written straight through the appender,
and the `gateway` CLI run in-process."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from gateway.audit.appender import append
from gateway.audit.keyring import Keyring
from gateway.audit.keys import AuditKeys
from gateway.audit.record import AuditRecord
from gateway.cli import main


def _b64(label: str) -> str:
    return base64.b64encode(hashlib.sha256(label.encode()).digest()).decode()


SIGNING_KEY = _b64("tests: audit signing key")
MASTER_KEY = _b64("tests: audit master key")
FOREIGN_SIGNING_KEY = _b64("tests: someone else's signing key")


def key_environ(checkpoint_every: int = 1000, **extra: str) -> dict[str, str]:
    return {
        "GATEWAY_AUDIT_SIGNING_KEY": SIGNING_KEY,
        "GATEWAY_AUDIT_MASTER_KEY": MASTER_KEY,
        "GATEWAY_AUDIT_CHECKPOINT_EVERY": str(checkpoint_every),
        "GATEWAY_AUDIT_CHECKPOINT_SECONDS": "3600",
        **extra,
    }


def audit_keys(checkpoint_every: int = 1000) -> AuditKeys:
    return AuditKeys.from_environ(key_environ(checkpoint_every))


T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def record(index: int = 0, **fields: Any) -> AuditRecord:
    started = fields.pop("started_at", T0 + timedelta(minutes=index))
    values: dict[str, Any] = {
        "request_id": f"req_{index:04d}_{uuid.uuid4().hex[:8]}",
        "started_at": started,
        "finished_at": started + timedelta(milliseconds=250),
        "endpoint": "chat",
        "status_code": 200,
        "outcome": "ok",
        "tenant": "demo",
        "key_name": "app",
        "key_fingerprint": "abcdef012345",
        "model_requested": "gpt-4o",
        "model_served": "gpt-4o",
        "location": "cloud",
        "route_reasons": ["model:cloud"],
        "policy_version": "0123456789abcdef",
        "prompt_tokens": 12,
        "completion_tokens": 6,
        "latency_ms": 250.123456,
        "checks": [{"check": "pii", "status": "passed", "detail": ""}],
    }
    values.update(fields)
    return AuditRecord(**values)


def write(
    engine: Engine,
    records: Sequence[AuditRecord],
    keys: AuditKeys | None = None,
    batch: int = 7,
    now: datetime | None = None,
) -> list[AuditRecord]:
    """Append through the real appender in small batches (checkpoints fall where they are due)."""
    keys = keys or audit_keys()
    keyring = Keyring(keys.master_key, keys.master_key_id)
    for start in range(0, len(records), batch):
        with engine.begin() as connection:
            append(connection, [r.as_row() for r in records[start : start + batch]], keys, keyring, now)
    return list(records)


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def cli(*args: str) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


def use_audit_env(monkeypatch: pytest.MonkeyPatch, checkpoint_every: int = 1000) -> None:
    """The CLI reads its keys from the environment, as in production."""
    for name, value in key_environ(checkpoint_every).items():
        monkeypatch.setenv(name, value)
