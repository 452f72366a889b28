"""The audit record: what happened to a request, never the raw content it carried."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class AuditRecord:
    request_id: str
    started_at: datetime
    finished_at: datetime
    endpoint: str
    status_code: int | None  # None on an egress entry: sent, outcome not known yet
    outcome: str  # ok | blocked | rejected | error | client_disconnected | sent (egress entry)
    tenant: str | None = None
    key_name: str | None = None
    key_fingerprint: str | None = None
    model_requested: str | None = None
    model_served: str | None = None
    location: str | None = None
    route_reasons: list[str] = field(default_factory=list)
    policy_version: str | None = None
    error_code: str | None = None
    stream: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    findings: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    request_content: str | None = None  # only the redacted form, and only if the policy says so
    response_content: str | None = None
    # egress: sealed before the data leaves (one per attempt); outcome: completes a request that
    # had egress entries; record: a request that never reached a provider (one entry).
    phase: str = "record"
    # Every place the request's data was sent, in order: {location, model, outcome, error_code}.
    destinations: list[dict[str, Any]] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        # Shallow on purpose (`asdict` deep-copies, 5 % of the event loop's CPU): a record is
        # not changed once it is handed to the writer.
        return {field.name: getattr(self, field.name) for field in fields(self)}
