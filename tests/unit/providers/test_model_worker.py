"""The model-worker host with real worker processes and a scripted backend (no model):
answers, streams, the bounded queue, and what happens when the worker dies."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import BadRequest, GatewayError, LocalModelBusy, LocalModelCrashed, LocalModelUnavailable
from gateway.providers.base import ProviderCall
from gateway.providers.worker.host import WorkerSpec
from gateway.providers.worker.provider import WorkerProvider

LOADER = "tests.worker_backends:load"


def call(content: str, **extra: Any) -> ProviderCall:
    return ProviderCall("chat", "scripted", {"messages": [{"role": "user", "content": content}], **extra})


@pytest.fixture
async def provider_factory() -> AsyncIterator[Any]:
    made: list[WorkerProvider] = []

    def make(queue_size: int = 4, stall_seconds: float = 60.0, **options: Any) -> WorkerProvider:
        provider = WorkerProvider(WorkerSpec("scripted", LOADER, options, queue_size, stall_seconds))
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()


async def wait_for_state(provider: WorkerProvider, state: str, seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.02)):
        if provider.state == state:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"worker stayed {provider.state!r}, expected {state!r}")


async def words(provider: WorkerProvider, content: str, **extra: Any) -> list[str]:
    return [
        chunk["choices"][0]["delta"]["content"] async for chunk in provider.stream(call(content, **extra))
    ]


async def test_answers_whole_and_token_by_token(provider_factory: Any) -> None:
    provider = provider_factory()
    assert provider.state == "stopped"
    completion = await provider.complete(call("Paris is lovely"))  # starts the worker, waits for it
    assert completion.body["choices"][0]["message"]["content"] == "Paris is lovely"
    assert completion.usage.completion_tokens == 3
    assert await words(provider, "one two three") == ["one", " two", " three"]
    assert provider.state == "ready"


async def test_full_queue_is_refused_at_once(provider_factory: Any) -> None:
    provider = provider_factory(queue_size=2, token_seconds=0.05)
    provider.start()
    await wait_for_state(provider, "ready")
    running = [asyncio.create_task(provider.complete(call("a b c"))) for _ in range(2)]
    await asyncio.sleep(0.01)
    with pytest.raises(LocalModelBusy) as caught:
        await provider.complete(call("x"))
    assert caught.value.status_code == 503 and caught.value.retry_after_seconds
    assert [r.usage.completion_tokens for r in await asyncio.gather(*running)] == [3, 3]
    assert (await provider.complete(call("freed"))).usage.completion_tokens == 1  # slots are back


async def test_model_errors_end_the_request_not_the_worker(provider_factory: Any) -> None:
    provider = provider_factory()
    with pytest.raises(BadRequest) as rejected:
        await provider.complete(call("reject"))
    assert rejected.value.status_code == 400 and "rejects" in rejected.value.message
    pid = provider.worker.pid
    with pytest.raises(GatewayError) as failed:
        await words(provider, "raise")
    assert failed.value.status_code == 500 and failed.value.code == "local_model_error"
    assert "RuntimeError" in failed.value.message and "bug" not in failed.value.message
    assert await words(provider, "still here") == ["still", " here"]
    assert provider.worker.pid == pid


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSEGV])
async def test_worker_killed_mid_stream(provider_factory: Any, how: signal.Signals) -> None:
    provider = provider_factory(token_seconds=0.02)
    provider.start()
    await wait_for_state(provider, "ready")
    first_pid = provider.worker.pid
    assert first_pid is not None
    chunks = provider.stream(call("tick", repeat=500))
    await anext(chunks)
    queued = asyncio.create_task(provider.complete(call("queued behind the stream")))
    await asyncio.sleep(0.01)
    os.kill(first_pid, how)
    with pytest.raises(LocalModelCrashed) as crashed:
        async for _ in chunks:
            pass
    assert crashed.value.status_code == 503 and crashed.value.code == "local_model_crashed"
    with pytest.raises(LocalModelCrashed):
        await queued
    assert provider.state == "restarting"
    with pytest.raises(LocalModelUnavailable) as refused:  # while it restarts: at once, not queued
        await provider.complete(call("during the restart"))
    assert refused.value.code == "local_model_unavailable" and refused.value.retry_after_seconds >= 1
    await wait_for_state(provider, "ready")
    assert provider.worker.pid != first_pid
    assert await words(provider, "back again") == ["back", " again"]


@pytest.mark.parametrize("stream", [True, False])
async def test_a_worker_that_stops_answering_is_killed_and_restarted(
    provider_factory: Any, stream: bool
) -> None:
    """SIGSTOP: the process lives but says nothing (as in a native deadlock)."""
    provider = provider_factory(token_seconds=0.02, stall_seconds=0.5)
    provider.start()
    await wait_for_state(provider, "ready")
    first_pid = provider.worker.pid
    assert first_pid is not None
    asked = call("tick", repeat=500)
    request = asyncio.create_task(
        words(provider, "tick", repeat=500) if stream else provider.complete(asked)  # type: ignore[arg-type]
    )
    await asyncio.sleep(0.1)
    os.kill(first_pid, signal.SIGSTOP)
    started = asyncio.get_running_loop().time()
    with pytest.raises(LocalModelCrashed):
        await asyncio.wait_for(request, 10)
    assert 0.4 < asyncio.get_running_loop().time() - started < 3  # the stall limit, not the 10 s
    with pytest.raises(ProcessLookupError):
        os.kill(first_pid, 0)  # killed, not left stopped
    await wait_for_state(provider, "ready")
    assert provider.worker.pid != first_pid
    assert await words(provider, "back again") == ["back", " again"]


async def test_a_slow_answer_that_keeps_talking_is_not_a_stall(provider_factory: Any) -> None:
    provider = provider_factory(token_seconds=0.1, stall_seconds=0.5)
    assert len(await words(provider, "tick", repeat=12)) == 12  # 1.2 s in all, a token every 0.1 s


async def test_worker_that_segfaults_between_requests_is_restarted(provider_factory: Any) -> None:
    provider = provider_factory()
    assert await words(provider, "before") == ["before"]
    first_pid = provider.worker.pid
    with pytest.raises(LocalModelCrashed):  # the request that made it crash
        await provider.complete(call("segfault"))
    await wait_for_state(provider, "ready")
    assert provider.worker.pid != first_pid
    os.kill(provider.worker.pid or 0, signal.SIGSEGV)  # idle: no request in flight
    await asyncio.sleep(0.2)
    with pytest.raises(LocalModelUnavailable):
        await provider.complete(call("too early"))
    await wait_for_state(provider, "ready")
    assert (await provider.complete(call("after"))).body["choices"][0]["message"]["content"] == "after"


async def test_a_stream_the_caller_leaves_stops_generating(provider_factory: Any, tmp_path: Path) -> None:
    counted = tmp_path / "count"
    provider = provider_factory(token_seconds=0.01, count_file=str(counted))
    chunks = provider.stream(call("tick", repeat=1000))
    await anext(chunks)
    await chunks.aclose()  # the caller went away
    assert await words(provider, "next") == ["next"]  # served next, not after 1000 ticks
    assert len(counted.read_text()) < 50  # the ticks generated before the cancel arrived, and "next"


async def test_a_model_that_cannot_load_answers_unavailable(provider_factory: Any) -> None:
    provider = provider_factory(fail_load=True)
    with pytest.raises(LocalModelUnavailable) as caught:
        await provider.complete(call("hello"))
    assert caught.value.code == "local_model_unavailable"
    assert "FileNotFoundError" in caught.value.message and "no model here" not in caught.value.message
    assert provider.state == "restarting"


async def test_closing_stops_the_worker(provider_factory: Any) -> None:
    provider = provider_factory()
    await provider.complete(call("hi"))
    pid = provider.worker.pid
    assert pid is not None
    await provider.aclose()
    assert provider.state == "closed"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(LocalModelUnavailable):
        await provider.complete(call("after close"))
