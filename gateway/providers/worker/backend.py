"""What a model backend implements to run in a model worker process (llama.cpp, transformers...).

The worker imports `Load.loader` ("package.module:function"), calls it once with `Load.options`
(JSON) and gets a `ModelBackend`; then it calls `complete` or `stream` for one request at a
time, on its main thread. A backend raises `BadRequest` for input the model rejects (its
message goes to the caller, so it must not quote the request); any other exception ends that
request as a 500 `local_model_error` and the worker carries on. A native crash ends the worker:
the gateway restarts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from gateway.exchange import Endpoint, JsonObject

ChunkSink = Callable[[JsonObject], bool]
"""Takes one stream chunk; returns False once the caller has gone: the backend then stops."""


class ModelBackend(Protocol):
    def describe(self) -> JsonObject:
        """A few facts for the gateway's log once loaded (e.g. the model file, the threads)."""
        ...

    def complete(self, endpoint: Endpoint, body: JsonObject) -> JsonObject:
        """The whole OpenAI-shaped completion, `usage` included."""
        ...

    def stream(self, endpoint: Endpoint, body: JsonObject, emit: ChunkSink) -> None:
        """Hands OpenAI-shaped chunks, one per token, to `emit` as they are generated, on the
        calling thread; stops generating as soon as `emit` returns False.

        Pushed rather than pulled: transformers' `generate` calls back once per token, and
        turning that into an iterator takes a second thread; torch generating on a second
        thread ran 10-13 % fewer tokens/s than on the worker's main thread (measured, 2 CPUs)."""
        ...


BackendLoader = Callable[[JsonObject], ModelBackend]
