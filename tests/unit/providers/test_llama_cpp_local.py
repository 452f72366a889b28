"""The local provider's queue: bounded, and a full queue answers 503 at once, never hangs."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import LocalModelBusy
from gateway.providers.base import ProviderCall
from gateway.providers.llama_cpp_local import LlamaCppProvider, bundled_model_path, resolve_model_path

CALL = ProviderCall("chat", "local", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3})


class GatedModel:
    """Stands in for llama_cpp.Llama: answers only once the test opens the gate."""

    def __init__(self) -> None:
        self.gate = threading.Event()

    def create_chat_completion(self, messages: list[Any], stream: bool, **options: Any) -> Any:
        self.gate.wait(10)
        if stream:
            return iter([{"choices": [{"index": 0, "delta": {"content": w}}]} for w in ("a", "b", "c")])
        return {"choices": [{"index": 0, "message": {"content": "ok"}}], "usage": {"completion_tokens": 1}}


def provider_with(model: GatedModel, queue_size: int) -> LlamaCppProvider:
    provider = LlamaCppProvider(
        Path("unused.gguf"), n_ctx=512, n_gpu_layers=0, n_threads=1, queue_size=queue_size
    )
    provider._llama = model  # the real loading path is covered by the integration tests
    return provider


async def test_full_queue_is_refused_immediately() -> None:
    model = GatedModel()
    provider = provider_with(model, queue_size=2)
    running = [asyncio.create_task(provider.complete(CALL)) for _ in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(LocalModelBusy) as caught:
        await asyncio.wait_for(provider.complete(CALL), timeout=1)
    assert caught.value.status_code == 503 and caught.value.retry_after_seconds > 0
    model.gate.set()
    results = await asyncio.gather(*running)
    assert [r.usage.completion_tokens for r in results] == [1, 1]
    assert (await provider.complete(CALL)).body["choices"][0]["message"]["content"] == "ok"  # slots freed
    await provider.aclose()


async def test_stream_yields_each_token_and_frees_its_slot() -> None:
    model = GatedModel()
    model.gate.set()
    provider = provider_with(model, queue_size=1)
    pieces = [chunk["choices"][0]["delta"]["content"] async for chunk in provider.stream(CALL)]
    assert pieces == ["a", "b", "c"]
    await asyncio.sleep(0.01)
    assert (await provider.complete(CALL)).usage.completion_tokens == 1
    await provider.aclose()


def test_model_path_resolution() -> None:
    assert bundled_model_path().name == "SmolLM2-135M-Instruct.Q4_1.gguf" and bundled_model_path().is_file()
    assert resolve_model_path("", {}) == bundled_model_path()
    assert resolve_model_path("/m/a.gguf", {}) == Path("/m/a.gguf")
    assert resolve_model_path("/m/a.gguf", {"GATEWAY_LOCAL_MODEL": "/m/b.gguf"}) == Path("/m/b.gguf")
