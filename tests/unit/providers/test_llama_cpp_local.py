"""Where the local model comes from, and how its worker is described (the worker itself:
test_model_worker.py; the real model through the gateway: tests/integration)."""

from __future__ import annotations

from pathlib import Path

from gateway.providers.llama_cpp_local import bundled_model_path, llama_cpp_worker, resolve_model_path


def test_model_path_resolution() -> None:
    assert bundled_model_path().name == "SmolLM2-135M-Instruct.Q4_1.gguf" and bundled_model_path().is_file()
    assert resolve_model_path("", {}) == bundled_model_path()
    assert resolve_model_path("/m/a.gguf", {}) == Path("/m/a.gguf")
    assert resolve_model_path("/m/a.gguf", {"GATEWAY_LOCAL_MODEL": "/m/b.gguf"}) == Path("/m/b.gguf")


def test_worker_gets_the_configured_options() -> None:
    spec = llama_cpp_worker(
        "local", Path("/m/a.gguf"), n_ctx=1024, n_gpu_layers=-1, n_threads=None, queue_size=3, stall_seconds=9
    )
    assert spec.name == "local" and spec.queue_size == 3 and spec.stall_seconds == 9
    assert spec.loader == "gateway.providers.llama_cpp_local:LlamaCppBackend"
    assert spec.options["model_path"] == "/m/a.gguf"
    assert spec.options["n_ctx"] == 1024 and spec.options["n_gpu_layers"] == -1
    assert spec.options["n_threads"] >= 1  # every core unless the policy says otherwise
