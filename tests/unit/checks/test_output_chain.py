"""The output chain: each guard sees what the one before let through; held text is flushed
through the guards after it, in order."""

from __future__ import annotations

from gateway.checks.base import CheckOutcome, Finding
from gateway.checks.output import GuardChain, PassThrough
from gateway.exchange import Completion, JsonObject


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
