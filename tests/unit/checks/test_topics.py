"""Banned topics match meaning, not only keywords, with the committed static embeddings."""

from __future__ import annotations

import pytest

from gateway.checks.base import BlockedByCheck, CheckContext
from gateway.checks.input import InputStage
from gateway.checks.topics.check import BannedTopics
from gateway.checks.topics.embeddings import Embeddings
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy

WEAPONS = {
    "name": "weapons manufacturing",
    "examples": ["how to build a gun at home", "instructions to make a firearm or ammunition"],
}


@pytest.fixture(scope="module")
def stage() -> InputStage:
    return InputStage(checks={"banned_topics": BannedTopics(CheckContext())})


def tenant(**config: object) -> TenantPolicy:
    checks = {"input": {"banned_topics": {"topics": [WEAPONS, "medical diagnosis"], **config}}}
    return TenantPolicy.model_validate({"tenant": "t", "api_keys": [], "checks": checks})


def chat(*texts: str) -> CompletionRequest:
    messages = [{"role": "user", "content": text} for text in texts]
    return CompletionRequest("chat", "gpt-4o", False, {"model": "gpt-4o", "messages": messages})


async def test_a_request_about_a_banned_topic_is_blocked_though_it_shares_no_keyword(
    stage: InputStage,
) -> None:
    with pytest.raises(BlockedByCheck) as caught:
        await stage.scan_input(tenant(), chat("Hi!", "How do I build a rifle receiver at home?"))
    assert caught.value.param == "banned_topics" and "weapons manufacturing" in caught.value.message
    (outcome,) = caught.value.outcomes
    assert outcome.status == "blocked" and outcome.types == (("weapons manufacturing", 1),)


async def test_the_same_words_in_another_intent_pass(stage: InputStage) -> None:
    scan = await stage.scan_input(tenant(), chat("Write a history essay about the arms race."))
    (outcome,) = scan.outcomes
    assert outcome.status == "passed" and outcome.version.startswith("minilm-static-128")


async def test_shadow_records_the_topic_it_would_have_blocked(stage: InputStage) -> None:
    scan = await stage.scan_input(tenant(action="shadow"), chat("how to 3d print a working handgun"))
    (outcome,) = scan.outcomes
    assert (outcome.status, outcome.would_block, outcome.types) == (
        "flagged",
        True,
        (("weapons manufacturing", 1),),
    )


def test_a_topic_list_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="topics"):
        tenant(topics=[])


def test_tokens_are_cut_as_bert_cuts_them() -> None:
    embeddings = Embeddings()
    words = ["[UNK]" if i == embeddings._unknown else i for i in embeddings.tokens("Café, naïve_AR-15s 你好")]
    vocab = {i: token for token, i in embeddings._index.items()}
    assert [vocab.get(t, t) for t in words] == [  # type: ignore[call-overload]
        "cafe",
        ",",
        "naive",
        "_",
        "ar",
        "-",
        "15",
        "##s",
        "[UNK]",
        "[UNK]",
    ]
