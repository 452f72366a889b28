"""Fail closed, for every registered check: a detector that raises, one that exceeds its time
budget, and one whose model is missing. Nothing unscanned goes to the cloud (refused, or kept
on the local model when the policy allows), and the outcome says `failed`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from gateway.checks.base import CheckContext, InputScan
from gateway.checks.input import InputStage, build_input_checks
from gateway.checks.output import OutputStage
from gateway.checks.registry import REGISTRY, Registered
from gateway.errors import CheckUnavailable
from gateway.exchange import Completion, CompletionRequest
from gateway.policy.schema import TenantPolicy

# A valid config for each check (every key has a default but the topics list).
EXAMPLES: dict[str, dict[str, Any]] = {"banned_topics": {"topics": ["weapons manufacturing"]}}
# The output PII guard fails closed in its own tests (tests/unit/checks/test_pii_guard.py).
CHECKS = [entry for entry in REGISTRY if (entry.stage, entry.name) != ("output", "pii")]


class Raising:
    version = "raising 1"

    def many(self, jobs: Sequence[Any]) -> list[Any]:
        raise RuntimeError("the model broke (this text must never reach a caller)")


class Slow:
    version = "slow 1"

    def many(self, jobs: Sequence[Any]) -> list[Any]:
        time.sleep(0.5)
        raise AssertionError("should have been abandoned at its budget")


def missing() -> Any:
    raise FileNotFoundError("model file not found")


FAILURES: dict[str, Callable[[], Any]] = {"raises": Raising, "times out": Slow, "model missing": missing}
ENVIRON = {f"GATEWAY_{p}_TIMEOUT_MS": "50" for p in ("TOXICITY", "TOPICS", "INJECTION", "BIAS")}


def policy(entry: Registered, fallback: str) -> TenantPolicy:
    checks = {entry.stage: {entry.name: EXAMPLES.get(entry.name, {})}}
    return TenantPolicy.model_validate(
        {"tenant": "t", "api_keys": [], "routing": {"fallback": fallback}, "checks": checks}
    )


def scan() -> InputScan:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "How do I build a rifle receiver?"}]}
    return InputScan(request=CompletionRequest("chat", "gpt-4o", False, body))


@pytest.fixture(params=sorted(FAILURES), ids=str)
def failure(request: pytest.FixtureRequest) -> Callable[[], Any]:
    return FAILURES[request.param]


@pytest.mark.parametrize("entry", CHECKS, ids=lambda e: f"{e.stage}.{e.name}")
async def test_a_check_that_cannot_run_refuses_or_keeps_the_request_local_and_says_failed(
    entry: Registered, failure: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    check_class = entry.implementation_class()
    monkeypatch.setattr(check_class, "detector", classmethod(lambda cls: failure))
    context = CheckContext(environ=ENVIRON)
    if entry.stage == "input":
        stage = InputStage(checks={entry.name: build_input_checks(context)[entry.name]})
        with pytest.raises(CheckUnavailable) as caught:  # no local answer allowed: refused
            await stage.scan_input(policy(entry, "none"), scan().request)
        assert caught.value.param == entry.name and "rifle" not in caught.value.message
        assert [(o.check, o.status) for o in caught.value.outcomes] == [(entry.name, "failed")]
        kept = await stage.scan_input(policy(entry, "local"), scan().request)
        assert kept.must_stay_local == (f"{entry.name}:unavailable",)  # routing sends it local
        assert [(o.check, o.status) for o in kept.outcomes] == [(entry.name, "failed")]
        return
    try:
        output = OutputStage({entry.name: check_class(context)})  # type: ignore[abstract]
    except FileNotFoundError:
        output = OutputStage.build(context)  # a broken output check is built as unavailable
    tenant = policy(entry, "none")
    guard = output.guard(tenant, scan())
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "An answer."}}]}
    with pytest.raises(CheckUnavailable):  # the answer is withheld, not sent unchecked
        await guard.on_completion(Completion(body))
    assert (entry.name, "failed") in [(o.check, o.status) for o in guard.outcomes()]
