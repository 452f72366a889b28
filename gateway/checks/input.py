"""The input stage: every input check the tenant's policy enables, in a fixed order.

    images, pii (the policy's `pii:` section)  ->  each registered `checks.input.<name>`

Every registered check leaves one outcome per request: what it did, or `skipped` when the
policy does not enable it. A check that could not run fails closed (`runner.fail_closed`).
When a check stops the request (a block, a refusal), the outcomes so far travel on the error,
so that the audit record still says, per check, what happened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from gateway.checks.base import BlockedByCheck, CheckContext, CheckOutcome, InputCheck, InputScan
from gateway.checks.registry import build_checks
from gateway.checks.runner import fail_closed, unavailable
from gateway.errors import CheckUnavailable, GatewayError
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy
from gateway.telemetry.spans import stage


class BuiltinCheck(Protocol):
    """A check configured outside `checks.input` (images by `routing.images`, PII by `pii:`)."""

    name: str

    def enabled(self, policy: TenantPolicy) -> bool: ...

    async def scan(self, policy: TenantPolicy, scan: InputScan) -> InputScan: ...


class UnavailableCheck(InputCheck):
    """Stands in for a check that could not be built (its model missing or broken): every
    request it should scan fails closed, and the gateway still starts for the others."""

    def __init__(self, name: str) -> None:
        super().__init__(CheckContext())
        self.name = name  # type: ignore[misc]
        self.version = "unavailable"

    async def scan(self, config: object, scan: InputScan) -> InputScan:
        raise unavailable(self.name)


def build_input_checks(context: CheckContext) -> dict[str, InputCheck]:
    """One instance of each registered input check; `UnavailableCheck` for one that fails to build."""
    # InputCheck, an ABC, is only what each registered class is checked against.
    return build_checks("input", InputCheck, context, UnavailableCheck)  # type: ignore[type-abstract]


class InputStage:
    def __init__(self, builtins: Sequence[BuiltinCheck] = (), checks: Mapping[str, InputCheck] | None = None):
        self.builtins = tuple(builtins)
        self.checks = dict(checks or {})

    async def scan_input(self, policy: TenantPolicy, request: CompletionRequest) -> InputScan:
        scan = InputScan(request=request)
        try:
            for builtin in self.builtins:
                if builtin.enabled(policy):
                    with stage(f"check.{builtin.name}"):  # a span and a latency series per check
                        scan = await _blocking(builtin.name, "policy", builtin.scan(policy, scan))
            configured = policy.checks.input.configured()
            for name, check in self.checks.items():
                config = configured.get(name)
                if config is None:
                    scan = _append(scan, CheckOutcome(name, "skipped", version=check.version))
                    continue
                try:
                    with stage(f"check.{name}"):
                        scan = await _blocking(name, config.action, check.scan(config, scan), check.version)
                except CheckUnavailable:
                    failed = CheckOutcome(name, "failed", action=config.action, version=check.version)
                    scan = fail_closed(policy, scan, failed)
        except GatewayError as error:
            error.outcomes = (*scan.outcomes, *error.outcomes)
            raise
        return scan

    def close(self) -> None:
        for check in self.checks.values():
            check.close()


async def _blocking(name: str, action: str, scanning: Awaitable[InputScan], version: str = "") -> InputScan:
    """The check's scan; when it blocks, its `blocked` outcome travels on the error."""
    try:
        return await scanning
    except BlockedByCheck as error:
        *earlier, blocked = error.outcomes
        if blocked.check == name and not blocked.version:  # the check said no more than its findings
            error.outcomes = (*earlier, replace(blocked, action=action, version=version))
        raise


def _append(scan: InputScan, outcome: CheckOutcome) -> InputScan:
    return replace(scan, outcomes=(*scan.outcomes, outcome))
