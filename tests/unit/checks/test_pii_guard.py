"""`PiiGuard`: scan what the model produced, spare the caller's own values, restore tokens."""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Sequence

import pytest

from gateway.checks.base import Finding, InputScan, Restoration
from gateway.checks.output import GuardChain, PassThrough
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.detector import Span
from gateway.checks.pii.guard import guard_for
from gateway.checks.pii.scope import DetectionScope, scope_of
from gateway.errors import DetectorUnavailable, PolicyViolation
from gateway.exchange import Completion, CompletionRequest
from gateway.policy.schema import TenantPolicy
from tests.unit.checks.fakes import FailingDetector, LiteralDetector

MODEL_VALUES = {"Maria Gonzalez": "PERSON", "maria@corp.example": "EMAIL_ADDRESS", "Jane Smith": "PERSON"}
SUPPLIED = "Please write to Jane Smith."
PSEUDONYMS = (("<PERSON_1>", "Jane Smith"),)


def tenant(output: str | None = "redact") -> TenantPolicy:
    checks = {"output": {"pii": {"action": output}}} if output else {}
    return TenantPolicy.model_validate({"tenant": "acme", "api_keys": [], "checks": checks})


def scan(endpoint: str = "chat") -> InputScan:
    request = CompletionRequest(endpoint, "gpt-4o", True, {"model": "gpt-4o"})  # type: ignore[arg-type]
    return InputScan(request=request, restoration=Restoration(PSEUDONYMS, SUPPLIED))


def completion(text: str) -> Completion:
    return Completion(body={"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})


def chunk(text: str | None, finish: str | None = None) -> dict[str, object]:
    delta = {"content": text} if text is not None else {}
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


ANSWER = "Dear <PERSON_1>, please contact Maria Gonzalez at maria@corp.example. Jane Smith knows. Bye."
FOR_CALLER = "Dear Jane Smith, please contact <PERSON> at <EMAIL_ADDRESS>. Jane Smith knows. Bye."
FOR_AUDIT = "Dear <PERSON_1>, please contact <PERSON> at <EMAIL_ADDRESS>. <PERSON> knows. Bye."


async def test_whole_answer_is_scanned_then_restored() -> None:
    guard = guard_for(tenant(), scan(), Detection(LiteralDetector(MODEL_VALUES)))
    done = await guard.on_completion(completion(ANSWER))
    assert done.body["choices"][0]["message"]["content"] == FOR_CALLER
    assert guard.redacted_answer() == FOR_AUDIT


async def stream_through(guard: object, pieces: list[str]) -> tuple[str, int]:
    out, chunks = [], 0
    for piece in pieces:
        for sent in await guard.on_chunk(chunk(piece)):  # type: ignore[attr-defined]
            out.append(sent["choices"][0]["delta"].get("content") or "")
            chunks += 1
    for sent in await guard.on_chunk(chunk(None, "stop")):  # type: ignore[attr-defined]
        out.append(sent["choices"][0]["delta"].get("content") or "")
    for sent in await guard.finish():  # type: ignore[attr-defined]
        out.append(sent["choices"][0]["delta"]["content"])
    return "".join(out), chunks


@pytest.mark.parametrize("size", [1, 3, 8, 1000])
async def test_stream_is_scanned_by_sentence_and_restored(size: int) -> None:
    guard = guard_for(tenant(), scan(), Detection(LiteralDetector(MODEL_VALUES)))
    pieces = [ANSWER[i : i + size] for i in range(0, len(ANSWER), size)]
    text, _ = await stream_through(guard, pieces)
    assert text == FOR_CALLER
    assert guard.redacted_answer() == FOR_AUDIT


async def test_stream_without_output_scan_only_restores_and_holds_little() -> None:
    guard = guard_for(tenant(None), scan(), Detection(LiteralDetector(MODEL_VALUES)))
    pieces = [ANSWER[i : i + 4] for i in range(0, len(ANSWER), 4)]
    text, chunks = await stream_through(guard, pieces)
    assert text == ANSWER.replace("<PERSON_1>", "Jane Smith")
    assert chunks >= len(pieces) - 3  # only pieces inside a token were held back
    assert guard.redacted_answer() is None  # not scanned: nothing may be audited


async def test_first_sentence_goes_out_before_the_answer_ends() -> None:
    guard = guard_for(tenant(), scan(), Detection(LiteralDetector(MODEL_VALUES)))
    sent = await guard.on_chunk(chunk("The first sentence is complete. And the second"))
    assert sent and sent[0]["choices"][0]["delta"]["content"] == "The first sentence is complete. "


async def test_nothing_to_do_is_a_pass_through() -> None:
    bare = InputScan(request=CompletionRequest("chat", "gpt-4o", False, {}))
    assert isinstance(guard_for(tenant(None), bare, Detection(LiteralDetector({}))), PassThrough)
    assert isinstance(guard_for(tenant(), None, Detection(LiteralDetector({}))), PassThrough)


async def test_output_block_and_detector_failure() -> None:
    blocking = guard_for(tenant("block"), scan(), Detection(LiteralDetector(MODEL_VALUES)))
    with pytest.raises(PolicyViolation) as caught:
        await blocking.on_completion(completion(ANSWER))
    assert "Maria" not in caught.value.message
    failing = guard_for(tenant(), scan(), Detection(FailingDetector()))
    with pytest.raises(DetectorUnavailable):
        await failing.on_completion(completion(ANSWER))


async def test_completions_endpoint_text() -> None:
    guard = guard_for(tenant(None), scan("completions"), Detection(LiteralDetector({})))
    body = {"choices": [{"index": 0, "text": "hi <PERSON_1>"}]}
    done = await guard.on_completion(Completion(body=copy.deepcopy(body)))
    assert done.body["choices"][0]["text"] == "hi Jane Smith"


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "stream"])
async def test_the_restored_answer_is_not_analysed_again_next_turn(streamed: bool) -> None:
    detector = LiteralDetector(MODEL_VALUES)
    detection = Detection(detector)
    guard = guard_for(tenant(), scan(), detection)
    if streamed:
        await stream_through(guard, [ANSWER[:20], ANSWER[20:47], ANSWER[47:]])
    else:
        await guard.on_completion(completion(ANSWER))
    seen = detector.texts_seen
    (spans,) = await detection.detect([FOR_CALLER], scope_of(tenant().pii))
    assert detector.texts_seen == seen  # served from what the guard already knew
    found = {(FOR_CALLER[s.start : s.end], s.entity) for s in spans}
    assert found == {("Jane Smith", "PERSON")} and len(spans) == 2  # restored + the caller's own


def tool_chunk(index: int, arguments: str, finish: str | None = None) -> dict[str, object]:
    call = {"index": index, "function": {"arguments": arguments}}
    return {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": finish}]}


async def test_streamed_tool_call_arguments_are_restored_across_chunks() -> None:
    guard = guard_for(tenant(output=None), scan(), Detection(LiteralDetector(MODEL_VALUES)))
    pieces = ['{"to": "<PER', 'SON_1>", "cc": "<PERSON_1', '>"}']
    out = []
    for piece in pieces:
        for sent in await guard.on_chunk(tool_chunk(0, piece)):
            out.append(sent["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"])  # type: ignore[index]
    assert "".join(out) == '{"to": "Jane Smith", "cc": "Jane Smith"}'


async def test_a_tool_call_token_cut_off_at_the_end_is_sent_as_it_was() -> None:
    guard = guard_for(tenant(output=None), scan(), Detection(LiteralDetector(MODEL_VALUES)))
    first = await guard.on_chunk(tool_chunk(0, '{"to": "<PERS'))
    assert first[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] == '{"to": "'  # type: ignore[index]
    (rest,) = await guard.finish()
    assert rest["choices"][0]["delta"]["tool_calls"] == [{"index": 0, "function": {"arguments": "<PERS"}}]


# --- the scan of a whole answer begins while the guards before it run -----------------------


class StartedDetector(LiteralDetector):
    """Says when a detection has begun (on its runner's thread)."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.begun = threading.Event()

    def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        self.begun.set()
        return super().detect(texts, scope)


class Before(PassThrough):
    """An earlier guard: waits (up to 2 s) until the PII scan has begun; may rewrite a value."""

    def __init__(self, detector: StartedDetector, rewrite: str = "") -> None:
        self.detector, self.rewrite = detector, rewrite
        self.saw_scan_begun = False

    async def on_completion(self, completion: Completion) -> Completion:
        for _ in range(200):
            if self.detector.begun.is_set():
                self.saw_scan_begun = True
                break
            await asyncio.sleep(0.01)
        message = completion.body["choices"][0]["message"]
        if self.rewrite:
            message["content"] = message["content"].replace(self.rewrite, "someone")
        return completion


async def test_the_answers_scan_begins_while_an_earlier_guard_runs_and_is_used_once() -> None:
    detector = StartedDetector(MODEL_VALUES)
    before = Before(detector)
    pii = guard_for(tenant(), scan(), Detection(detector))
    done = await GuardChain([before, pii]).on_completion(completion(ANSWER))
    assert before.saw_scan_begun
    assert done.body["choices"][0]["message"]["content"] == FOR_CALLER
    assert detector.calls == 1  # the early detection served the scan: no second one


async def test_an_answer_an_earlier_guard_rewrote_is_scanned_as_rewritten() -> None:
    detector = StartedDetector(MODEL_VALUES)
    pii = guard_for(tenant(), scan(), Detection(detector))
    done = await GuardChain([Before(detector, rewrite="Maria Gonzalez"), pii]).on_completion(
        completion(ANSWER)
    )
    assert done.body["choices"][0]["message"]["content"] == FOR_CALLER.replace("<PERSON>", "someone", 1)
    # Maria Gonzalez was rewritten before the scan: only the e-mail is counted (Jane Smith is the caller's)
    assert pii.findings() == (Finding("output_pii", "EMAIL_ADDRESS", "redact", 1),)
    assert detector.calls == 2  # the early one (of the text as the model gave it) went unused


async def test_an_early_scan_that_fails_fails_the_answer_as_before() -> None:
    pii = guard_for(tenant(), scan(), Detection(FailingDetector()))
    with pytest.raises(DetectorUnavailable):
        await GuardChain([PassThrough(), pii]).on_completion(completion(ANSWER))
