"""Toxicity, input and output: the packaged model, each action, streams sentence by sentence."""

from __future__ import annotations

from typing import Any

import pytest
from profanity_check import profanity_check

from gateway.checks.base import BlockedByCheck, CheckContext
from gateway.checks.input import InputStage
from gateway.checks.toxicity.check import REDACTED, InputToxicity, OutputToxicity
from gateway.checks.toxicity.detector import ProfanityDetector
from gateway.errors import PolicyViolation
from gateway.exchange import Completion, CompletionRequest
from gateway.policy.schema import TenantPolicy

INSULT = "You are a worthless fucking idiot."
BENIGN = "Please summarise the attached quarterly report in three bullet points."


@pytest.fixture(scope="module")
def input_check() -> InputToxicity:
    return InputToxicity(CheckContext())


@pytest.fixture(scope="module")
def output_check() -> OutputToxicity:
    return OutputToxicity(CheckContext())


def tenant(stage: str, **config: Any) -> TenantPolicy:
    return TenantPolicy.model_validate(
        {"tenant": "t", "api_keys": [], "checks": {stage: {"toxicity": config}}}
    )


def chat(*texts: str) -> CompletionRequest:
    messages = [{"role": "user", "content": text} for text in texts]
    return CompletionRequest("chat", "gpt-4o", False, {"model": "gpt-4o", "messages": messages})


def test_scores_are_the_packaged_models_own() -> None:
    texts = [INSULT, BENIGN, "what the hell", "shut up, moron"]
    ours = ProfanityDetector().score(texts)
    assert ours == pytest.approx([float(p) for p in profanity_check.predict_prob(texts)], abs=1e-9)


async def test_block_refuses_with_the_check_named_and_audits_score_bucket(input_check: InputToxicity) -> None:
    stage = InputStage(checks={"toxicity": input_check})
    with pytest.raises(BlockedByCheck) as caught:
        await stage.scan_input(tenant("input", action="block"), chat(BENIGN, INSULT))  # any message
    assert caught.value.param == "toxicity" and INSULT not in caught.value.message
    (outcome,) = caught.value.outcomes
    assert (outcome.status, outcome.as_audit()["score_bucket"]) == ("blocked", "0.9-1.0")


async def test_benign_text_passes_and_says_passed(input_check: InputToxicity) -> None:
    scan = await InputStage(checks={"toxicity": input_check}).scan_input(tenant("input"), chat(BENIGN))
    (outcome,) = scan.outcomes
    assert outcome.status == "passed" and outcome.version.startswith("alt-profanity-check")


async def test_flag_and_shadow_let_it_through_and_say_what_they_saw(input_check: InputToxicity) -> None:
    stage = InputStage(checks={"toxicity": input_check})
    flagged = (await stage.scan_input(tenant("input", action="flag"), chat(INSULT))).outcomes[0]
    shadow = (await stage.scan_input(tenant("input", action="shadow"), chat(INSULT))).outcomes[0]
    assert (flagged.status, flagged.would_block) == ("flagged", False)
    assert (shadow.status, shadow.would_block, shadow.action) == ("flagged", True, "shadow")


async def test_a_check_the_policy_does_not_enable_is_skipped(input_check: InputToxicity) -> None:
    policy = TenantPolicy.model_validate({"tenant": "t", "api_keys": []})
    scan = await InputStage(checks={"toxicity": input_check}).scan_input(policy, chat(INSULT))
    assert [(o.check, o.status) for o in scan.outcomes] == [("toxicity", "skipped")]


async def test_output_redact_replaces_only_the_offending_sentence(output_check: OutputToxicity) -> None:
    policy = tenant("output", action="redact")
    guard = output_check.guard(policy.checks.output.get("toxicity"), policy, _scan())
    body = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": f"Fine. {INSULT} Bye now."}}]
    }
    out = await guard.on_completion(Completion(body))
    assert out.body["choices"][0]["message"]["content"] == f"Fine. {REDACTED}Bye now."
    (outcome,) = guard.outcomes()
    assert (outcome.status, outcome.stage, dict(outcome.types)) == ("rewritten", "output", {"toxicity": 1})


async def test_a_stream_sends_each_sentence_once_it_ends_and_block_ends_it(
    output_check: OutputToxicity,
) -> None:
    policy = tenant("output", action="block")
    guard = output_check.guard(policy.checks.output.get("toxicity"), policy, _scan())
    first = await guard.on_chunk(_delta("Hello there, "))
    assert first == []  # the sentence is not finished yet
    (sent,) = await guard.on_chunk(_delta("friend. You are "))
    assert sent["choices"][0]["delta"]["content"] == "Hello there, friend. "
    with pytest.raises(PolicyViolation) as caught:
        await guard.on_chunk(_delta("a worthless fucking idiot.\n"))
    assert caught.value.param == "output:toxicity"
    assert guard.outcomes()[0].status == "blocked"


def _scan() -> Any:
    from gateway.checks.base import InputScan

    return InputScan(request=chat(BENIGN))


def _delta(text: str) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": text}}],
    }
