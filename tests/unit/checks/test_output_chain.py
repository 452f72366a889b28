"""The output chain: each guard sees what the one before let through; held text is flushed
through the guards after it, in order."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.checks.base import CheckContext, CheckOutcome, Finding, InputScan
from gateway.checks.bias.check import OutputBias
from gateway.checks.output import BatchedOutputCheck, GuardChain, PassThrough
from gateway.checks.toxicity.check import OutputToxicity
from gateway.exchange import Completion, CompletionRequest, JsonObject
from gateway.policy.schema import TenantPolicy


class Upper(PassThrough):
    """Holds every piece until the stream ends, then sends it upper-cased."""

    def __init__(self) -> None:
        self.held = ""

    async def on_completion(self, completion: Completion) -> Completion:
        completion.body["text"] = completion.body["text"].upper()
        return completion

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        self.held += chunk["text"]
        return []

    async def finish(self) -> list[JsonObject]:
        return [{"text": self.held.upper()}]

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return (CheckOutcome("upper", "rewritten", stage="output"),)


class Tag(PassThrough):
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def on_completion(self, completion: Completion) -> Completion:
        completion.body["text"] += "!"
        return completion

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        self.seen.append(chunk["text"])
        return [{"text": "<" + chunk["text"] + ">"}]

    def redacted_answer(self) -> str | None:
        return "audited"

    def findings(self) -> tuple[Finding, ...]:
        return (Finding("tag", "X", "flag"),)


async def test_whole_answers_pass_each_guard_in_order() -> None:
    chain = GuardChain([Upper(), Tag()])
    assert (await chain.on_completion(Completion({"text": "hi"}))).body["text"] == "HI!"


async def test_text_held_by_a_guard_goes_through_the_guards_after_it_when_the_stream_ends() -> None:
    upper, tag = Upper(), Tag()
    chain = GuardChain([upper, tag])
    assert await chain.on_chunk({"text": "ab"}) == [] and await chain.on_chunk({"text": "c"}) == []
    assert await chain.finish() == [{"text": "<ABC>"}]
    assert tag.seen == ["ABC"]


async def test_the_chain_reports_every_guards_outcomes_and_the_last_audit_copy() -> None:
    chain = GuardChain([Upper(), Tag(), PassThrough()])
    assert [o.check for o in chain.outcomes()] == ["upper"]
    assert chain.findings() == (Finding("tag", "X", "flag"),)
    assert chain.redacted_answer() == "audited"


@pytest.mark.parametrize("check_class", [OutputToxicity, OutputBias], ids=lambda c: c.name)
async def test_a_batched_output_check_skips_when_not_enabled_and_runs_its_detector_when_it_is(
    check_class: type[BatchedOutputCheck[Any, Any]],
) -> None:
    check = check_class(CheckContext(environ={f"GATEWAY_{check_class.settings_prefix}_WORKERS": "0"}))
    try:
        assert check.version == check_class.detector()().version  # the runner's detector
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
        scan = InputScan(request=CompletionRequest("chat", "gpt-4o", False, body))
        tenant = TenantPolicy.model_validate({"tenant": "t", "api_keys": []})
        skipped = check.guard(None, tenant, scan)
        assert [(o.check, o.status, o.version) for o in skipped.outcomes()] == [
            (check_class.name, "skipped", check.version)
        ]
        enabled = check.guard(check_class.config_model(), tenant, scan)
        answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "A calm answer."}}]}
        await enabled.on_completion(Completion(answer))
        assert [(o.check, o.status) for o in enabled.outcomes()] == [(check_class.name, "passed")]
    finally:
        check.close()
