"""The transformers backend, in this process and in its worker, on a tiny GPT-NeoX built here
(random weights)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import BadRequest, LocalModelUnavailable, ServiceUnavailable
from gateway.exchange import JsonObject
from gateway.policy.schema import ProviderConfig
from gateway.providers.base import ProviderCall
from gateway.providers.transformers_local import (
    TransformersBackend,
    TransformersOptions,
    missing_files,
    plain_prompt,
    transformers_worker,
)
from gateway.providers.worker.provider import WorkerProvider
from tests.transformers_model import build_checkpoint, need_transformers

pytestmark = pytest.mark.transformers

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
GREEDY = {"model": "hf", "messages": QUESTION, "temperature": 0, "max_tokens": 24}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_transformers()
    return build_checkpoint(tmp_path_factory.mktemp("tiny-neox"))


@pytest.fixture(scope="module")
def backend(checkpoint: Path) -> TransformersBackend:
    return TransformersBackend(TransformersOptions(str(checkpoint), max_new_tokens=32))


def streamed(backend: TransformersBackend, body: JsonObject) -> list[JsonObject]:
    chunks: list[JsonObject] = []
    backend.stream("chat", body, lambda chunk: chunks.append(chunk) is None)
    return chunks


def text_of(chunks: list[JsonObject]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def test_missing_files_are_named_and_nothing_is_downloaded(tmp_path: Path) -> None:
    assert missing_files(tmp_path / "nowhere") == "the directory does not exist"
    assert missing_files(tmp_path) == "config.json is missing"
    (tmp_path / "config.json").write_text("{}")
    assert "no weights" in (missing_files(tmp_path) or "")
    need_transformers()
    with pytest.raises(ServiceUnavailable) as caught:
        TransformersBackend(TransformersOptions(str(tmp_path / "EleutherAI" / "pythia-70m")))
    assert "never downloaded" in caught.value.message and caught.value.status_code == 503


def test_a_checkpoint_without_its_tokenizer_is_refused(checkpoint: Path, tmp_path: Path) -> None:
    for name in ("config.json", "model.safetensors"):
        (tmp_path / name).write_bytes((checkpoint / name).read_bytes())
    with pytest.raises(ServiceUnavailable, match="no tokenizer files"):
        TransformersBackend(TransformersOptions(str(tmp_path)))


def test_loads_on_the_cpu_in_float32_with_a_plain_prompt(backend: TransformersBackend) -> None:
    facts = backend.describe()
    assert facts["device"] == "cpu" and facts["dtype"] == "torch.float32"
    assert facts["chat_template"] == "none: plain prompt"
    assert plain_prompt(QUESTION) == "user: What is the capital of France?\nassistant:"


def test_stream_is_token_by_token_and_matches_the_whole_answer(backend: TransformersBackend) -> None:
    whole = backend.complete("chat", GREEDY)
    chunks = streamed(backend, GREEDY)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = [c for c in chunks[1:] if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(content) > 5  # one chunk per token that produced text, not one at the end
    assert text_of(chunks) == whole["choices"][0]["message"]["content"]
    usage = chunks[-1]["usage"]
    assert chunks[-1]["choices"] == [] and usage == whole["usage"]
    prompt_tokens = len(backend.tokenizer(plain_prompt(QUESTION))["input_ids"])
    assert usage["prompt_tokens"] == prompt_tokens and usage["total_tokens"] == prompt_tokens + 24
    assert chunks[-2]["choices"][0]["finish_reason"] == whole["choices"][0]["finish_reason"] == "length"


def test_max_tokens_is_capped_by_max_new_tokens(backend: TransformersBackend) -> None:
    answer = backend.complete("completions", {"model": "hf", "prompt": "The capital", "max_tokens": 4000})
    assert answer["usage"]["completion_tokens"] == 32 and answer["choices"][0]["finish_reason"] == "length"
    assert answer["object"] == "text_completion" and isinstance(answer["choices"][0]["text"], str)


def test_stop_sequences_end_the_answer_before_them(backend: TransformersBackend) -> None:
    free = backend.complete("chat", GREEDY)["choices"][0]["message"]["content"]
    stop = free[6:9]
    assert stop and free.index(stop) < 9
    expected = free[: free.index(stop)]
    stopped = backend.complete("chat", {**GREEDY, "stop": [stop, "never-there"]})
    assert stopped["choices"][0]["message"]["content"] == expected
    assert stopped["choices"][0]["finish_reason"] == "stop"
    assert stopped["usage"]["completion_tokens"] < 24
    chunks = streamed(backend, {**GREEDY, "stop": stop})
    assert text_of(chunks) == expected  # held back while it could still become the stop


def test_a_chat_template_override_renders_the_messages(checkpoint: Path) -> None:
    template = "{% for m in messages %}<{{ m.role }}> {{ m.content }}\n{% endfor %}<assistant>"
    backend = TransformersBackend(TransformersOptions(str(checkpoint), chat_template=template))
    assert backend._prompt("chat", GREEDY) == "<user> What is the capital of France?\n<assistant>"
    assert backend.describe()["chat_template"] == "configured"


def test_bad_input_is_a_clear_400(backend: TransformersBackend) -> None:
    image = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]
    with pytest.raises(BadRequest, match="text only"):
        backend.complete("chat", {**GREEDY, "messages": [{"role": "user", "content": image}]})
    with pytest.raises(BadRequest, match="context"):
        backend.complete("completions", {"model": "hf", "prompt": "Paris " * 400})
    with pytest.raises(BadRequest, match="one prompt"):
        backend.complete("completions", {"model": "hf", "prompt": ["a", "b"]})


def test_leaving_a_stream_stops_generation(backend: TransformersBackend) -> None:
    """The sink says the caller has gone at the third chunk: nothing more is generated."""
    chunks: list[JsonObject] = []
    body = {**GREEDY, "max_tokens": 32}
    backend.stream("chat", body, lambda chunk: chunks.append(chunk) or len(chunks) < 3)
    assert len(chunks) == 3 and all(c["choices"][0]["finish_reason"] is None for c in chunks)


def test_the_stream_generates_on_the_calling_thread(backend: TransformersBackend) -> None:
    """torch generates more slowly on a second thread (see worker/backend.py): none is started."""
    before, during, callers = set(threading.enumerate()), set(), set()

    def emit(chunk: JsonObject) -> bool:
        during.update(threading.enumerate())
        callers.add(threading.get_ident())
        return True

    backend.stream("chat", GREEDY, emit)
    assert callers == {threading.get_ident()} and during and during <= before


# --- in its supervised worker process ----------------------------------------------------------


def worker_of(checkpoint: Path, **config: Any) -> WorkerProvider:
    provider_config = ProviderConfig(type="transformers", model_path=str(checkpoint), **config)
    return WorkerProvider(transformers_worker("hf", provider_config, queue_size=2, stall_seconds=60.0))


async def test_the_model_answers_from_its_worker_process_without_blocking_the_loop(
    checkpoint: Path,
) -> None:
    provider = worker_of(checkpoint, max_new_tokens=64)
    try:
        call = ProviderCall("chat", "hf", {**GREEDY, "max_tokens": 64})
        assert (await provider.complete(call)).usage.completion_tokens == 64  # loads it, then answers
        assert provider.state == "ready" and provider.worker.pid not in (None, os.getpid())
        gaps: list[float] = []
        done = asyncio.Event()

        async def tick() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        chunks, ticks_at_chunk = [], []
        async for chunk in provider.stream(call):
            chunks.append(chunk)
            ticks_at_chunk.append(len(gaps))
        done.set()
        await ticker
        assert chunks[-1]["usage"]["completion_tokens"] == 64 and chunks[-1]["model"] == "hf"
        assert sum(1 for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")) > 5
        # The loop kept running while the model worked: it ticked between the first chunk and
        # the last (a fast machine streams these 64 tokens in a few ticks), never stalled long.
        assert ticks_at_chunk[-1] > ticks_at_chunk[0] and max(gaps) < 0.25
    finally:
        await provider.aclose()


async def test_missing_files_through_the_worker_say_what_is_missing(tmp_path: Path) -> None:
    provider = worker_of(tmp_path / "absent")
    try:
        call = ProviderCall("chat", "hf", GREEDY)
        with pytest.raises(LocalModelUnavailable) as caught:
            await asyncio.wait_for(provider.complete(call), 60)  # an answer, not a hang
        message = caught.value.message
        assert "the directory does not exist" in message and "local_files_only" in message
        assert str(tmp_path) not in message and caught.value.retry_after_seconds >= 1
        with pytest.raises(LocalModelUnavailable) as again:  # while it retries: at once, same reason
            await asyncio.wait_for(provider.complete(call), 1)
        assert again.value.message == message
    finally:
        await provider.aclose()
