"""Collects what the pipeline learns about a request and turns it into its one audit record."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.audit.record import AuditRecord
from gateway.checks.base import BlockedByCheck, CheckOutcome, Finding, InputScan
from gateway.checks.output import OutputGuard
from gateway.errors import GatewayError, PolicyViolation
from gateway.exchange import CompletionRequest, Usage, prompt_text
from gateway.policy.schema import GatewayConfig, TenantPolicy
from gateway.routing import Route
from gateway.tenancy.keys import Caller


@dataclass(slots=True)
class Trail:
    request_id: str
    endpoint: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.perf_counter)
    key_fingerprint: str | None = None
    caller: Caller | None = None
    policy: TenantPolicy | None = None
    policy_version: str | None = None
    gateway: GatewayConfig | None = None  # that version's providers and catalogue, for the whole request
    request: CompletionRequest | None = None
    scan: InputScan | None = None
    route: Route | None = None
    model_known: bool = False  # a name outside the catalogue is not stored: it could be anything
    usage: Usage = field(default_factory=Usage)
    blocked_findings: tuple[Finding, ...] = ()
    stopped_outcomes: tuple[CheckOutcome, ...] = ()  # the checks' outcomes when one stopped it
    answer_text: str | None = None  # set only by an output stage that redacted it
    output_findings: tuple[Finding, ...] = ()
    output_outcomes: tuple[CheckOutcome, ...] = ()
    # Every attempt to send the request somewhere, in order (see `sending`).
    destinations: list[dict[str, Any]] = field(default_factory=list)

    def sending(self) -> AuditRecord:
        """The egress entry for the attempt about to be made on `route`: it must be committed
        before any byte goes to the provider. It says everything known so far; `outcome`
        "sent" with no status until the outcome entry completes it."""
        assert self.route is not None
        self.destinations.append(
            {"location": self.route.location, "model": self.route.model, "outcome": "sent"}
        )
        return self._build(None, "sent", None, phase="egress")

    def not_sent(self) -> None:
        """The egress entry could not be committed, so the attempt was never made."""
        self.destinations.pop()

    def attempt_failed(self, error: GatewayError) -> None:
        """The current attempt failed (a fallback may follow): say so in its destination."""
        if self.destinations:
            self.destinations[-1].update(outcome="error", error_code=error.code)

    def answered(self, guard: OutputGuard) -> None:
        """What the output stage learnt of the answer: its audit copy, what it found, and what
        each output check did."""
        self.answer_text, self.output_findings = guard.redacted_answer(), guard.findings()
        self.output_outcomes = guard.outcomes()

    def flags(self) -> tuple[str, ...]:
        """The checks that flagged this request or its answer so far (shadow runs are not told
        to the caller: they must not change what it sees)."""
        flagged = (o.check for o in self.outcomes() if o.status == "flagged" and not o.would_block)
        return tuple(dict.fromkeys(flagged))

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        """Per check, what happened to this request, input then output."""
        inputs = self.scan.outcomes if self.scan else self.stopped_outcomes
        return (*inputs, *self.output_outcomes)

    def record(self, status_code: int, outcome: str, error_code: str | None = None) -> AuditRecord:
        """The request's last entry: `outcome` when egress entries precede it, else `record`."""
        if self.destinations and self.destinations[-1]["outcome"] == "sent":
            last = self.destinations[-1]
            last["outcome"] = "ok" if outcome == "ok" else outcome
            if error_code is not None:
                last["error_code"] = error_code
        phase = "outcome" if self.destinations else "record"
        return self._build(status_code, outcome, error_code, phase=phase)

    def _build(
        self, status_code: int | None, outcome: str, error_code: str | None, phase: str
    ) -> AuditRecord:
        scan, route = self.scan, self.route
        keep_content = (
            self.policy is not None and self.policy.audit.content == "redacted" and scan is not None
        )
        return AuditRecord(
            request_id=self.request_id,
            started_at=self.started_at,
            finished_at=datetime.now(UTC),
            endpoint=self.endpoint,
            status_code=status_code,
            outcome=outcome,
            tenant=self.caller.tenant if self.caller else None,
            key_name=self.caller.key_name if self.caller else None,
            key_fingerprint=self.key_fingerprint,
            model_requested=self.request.model if self.request and self.model_known else None,
            model_served=route.model if route else None,
            location=route.location if route else None,
            route_reasons=list(route.reasons) if route else [],
            policy_version=self.policy_version,
            error_code=error_code,
            stream=self.request.stream if self.request else False,
            prompt_tokens=self.usage.prompt_tokens,
            completion_tokens=self.usage.completion_tokens,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 3),
            findings=[
                {"check": f.check, "kind": f.kind, "action": f.action, "count": f.count}
                for f in (*(scan.findings if scan else ()), *self.blocked_findings, *self.output_findings)
            ],
            checks=[outcome.as_audit() for outcome in self.outcomes()],
            # Raw content is never stored: only text a PII check has already redacted.
            request_content=(
                _audited_prompt(scan) if keep_content and scan and scan.content_redacted else None
            ),
            response_content=self.answer_text if keep_content else None,
            phase=phase,
            destinations=[dict(destination) for destination in self.destinations],
        )

    def failed(self, error: GatewayError) -> AuditRecord:
        if isinstance(error, BlockedByCheck):  # what the blocking check found: types and counts
            self.blocked_findings = error.findings
        if error.outcomes and self.scan is None:
            self.stopped_outcomes = error.outcomes
        if isinstance(error, PolicyViolation):
            outcome = "blocked"
        elif error.status_code < 500:
            outcome = "rejected"
        else:
            outcome = "error"
        return self.record(error.status_code, outcome, error.code)


def _audited_prompt(scan: InputScan) -> str:
    # The PII check's own audit form: the forwarded request may still carry `local_only` values.
    return scan.redacted_prompt if scan.redacted_prompt is not None else prompt_text(scan.request)
