"""Runs the input checks a tenant's policy enables, in order; a check may rewrite or block.

The PII stage plugs in here as an `InputCheck`: it receives the request and the scan so far and
returns the next scan (rewritten body, findings, must-stay-local reasons) or raises
`PolicyViolation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gateway.checks.base import BlockedByCheck, InputScan
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy
from gateway.telemetry.spans import stage


class InputCheck(Protocol):
    name: str

    def enabled(self, policy: TenantPolicy) -> bool: ...

    async def scan(self, policy: TenantPolicy, scan: InputScan) -> InputScan: ...


class CheckRegistry:
    def __init__(self, input_checks: Sequence[InputCheck] = ()) -> None:
        self.input_checks = tuple(input_checks)

    async def scan_input(self, policy: TenantPolicy, request: CompletionRequest) -> InputScan:
        scan = InputScan(request=request)
        for check in self.input_checks:
            if check.enabled(policy):
                with stage(f"check.{check.name}"):  # a span and a latency series per check
                    try:
                        scan = await check.scan(policy, scan)
                    except BlockedByCheck as blocked:  # the record lists every check that ran
                        raise blocked.after(scan.outcomes) from None
        return scan
