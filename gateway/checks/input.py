"""The input stage: every input check the tenant's policy enables, in a fixed order.

    images  ->  pii (the policy's `pii:` section)   }  at once; their results are taken
                each registered `checks.input.<name>` }  in this order

Images come first: they can turn an image into text the others must see. Then PII detection
(in its worker processes) and the registered checks (on their own threads) run at the same
time, all reading the request as the caller sent it, so a request waits for the slowest check,
not for their sum. Their results are then taken in the fixed order, as if they had run one
after another: the request that goes on is the one PII rewrote; the first check that stops it
(a block, a refusal) decides the error, and what the checks after it found is dropped, as
though they had not run. The registered checks score what the caller wrote, not the pseudonyms
the PII check puts in its place; they never rewrite the request (`_merge` holds them to it).

Every registered check leaves one outcome per request: what it did, or `skipped` when the
policy does not enable it. A check that could not run fails closed (`runner.fail_closed`).
When a check stops the request, the outcomes so far travel on the error, so that the audit
record still says, per check, what happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from gateway.checks.base import BlockedByCheck, CheckContext, CheckOutcome, InputCheck, InputScan
from gateway.checks.config import CheckConfig
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
        enabled = [builtin for builtin in self.builtins if builtin.enabled(policy)]
        configured = policy.checks.input.configured()
        try:
            while enabled and enabled[0].name not in _AT_ONCE:  # images: before the rest
                scan = await _builtin(enabled.pop(0), policy, scan)
            base = scan
            settled = await asyncio.gather(
                *(_builtin(builtin, policy, base) for builtin in enabled),
                *(
                    _registered(name, check, configured.get(name), base)
                    for name, check in self.checks.items()
                ),
                return_exceptions=True,
            )
            for result in settled[: len(enabled)]:
                scan = _settle(result)
            for (name, check), result in zip(self.checks.items(), settled[len(enabled) :], strict=True):
                config = configured.get(name)
                try:
                    scan = _merge(scan, base, _settle(result))
                except CheckUnavailable:
                    assert config is not None
                    failed = CheckOutcome(name, "failed", action=config.action, version=check.version)
                    scan = fail_closed(policy, scan, failed)
        except GatewayError as error:
            error.outcomes = (*scan.outcomes, *error.outcomes)
            raise
        return scan

    def close(self) -> None:
        for check in self.checks.values():
            check.close()


# The built-in check that runs together with the registered ones (its result is the request
# that goes on, so there is one); the built-ins before it run first.
_AT_ONCE = frozenset({"pii"})


async def _builtin(builtin: BuiltinCheck, policy: TenantPolicy, scan: InputScan) -> InputScan:
    with stage(f"check.{builtin.name}"):
        return await _blocking(builtin.name, "policy", builtin.scan(policy, scan))


async def _registered(name: str, check: InputCheck, config: CheckConfig | None, base: InputScan) -> InputScan:
    if config is None:
        return _append(base, CheckOutcome(name, "skipped", version=check.version))
    with stage(f"check.{name}"):  # a span and a latency series per check
        return await _blocking(name, config.action, check.scan(config, base), check.version)


def _settle(result: InputScan | BaseException) -> InputScan:
    """A check's result, or what it raised (a cancellation too: the caller left)."""
    if isinstance(result, BaseException):
        raise result
    return result


def _merge(scan: InputScan, base: InputScan, result: InputScan) -> InputScan:
    """What a registered check, run on `base`, added (findings, outcomes, reasons to stay
    local), appended to `scan`, the stage's result so far."""
    if result.request is not base.request:  # a bug in a check, not a request's fault
        raise RuntimeError("a registered input check rewrote the request")
    return replace(
        scan,
        findings=(*scan.findings, *result.findings[len(base.findings) :]),
        outcomes=(*scan.outcomes, *result.outcomes[len(base.outcomes) :]),
        must_stay_local=(*scan.must_stay_local, *result.must_stay_local[len(base.must_stay_local) :]),
    )


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
