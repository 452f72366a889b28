"""A model backend for testing the worker host: real worker processes, no model.

It answers with the last message's words. Some contents make it misbehave on purpose:
`segfault` (a real SIGSEGV inside the worker), `reject` (BadRequest), `raise` (a bug).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

from gateway.errors import BadRequest
from gateway.exchange import Endpoint, JsonObject
from gateway.providers.worker.backend import ChunkSink


class ScriptedBackend:
    def __init__(self, options: JsonObject) -> None:
        if options.get("fail_load"):
            raise FileNotFoundError("no model here")
        self._token_seconds = float(options.get("token_seconds", 0.0))
        self._count_file = options.get("count_file")  # one byte per token generated

    def describe(self) -> JsonObject:
        return {"backend": "scripted", "pid": os.getpid()}

    def complete(self, endpoint: Endpoint, body: JsonObject) -> JsonObject:
        words = list(self._words(body))
        message = {"role": "assistant", "content": " ".join(words)}
        usage = {"prompt_tokens": 1, "completion_tokens": len(words), "total_tokens": len(words) + 1}
        return {"object": "chat.completion", "choices": [{"index": 0, "message": message}], "usage": usage}

    def stream(self, endpoint: Endpoint, body: JsonObject, emit: ChunkSink) -> None:
        for index, word in enumerate(self._words(body)):
            delta = {"content": word if index == 0 else " " + word}
            if not emit({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}):
                return

    def _words(self, body: JsonObject) -> Iterator[str]:
        content = str(body["messages"][-1]["content"])
        if content == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if content == "reject":
            raise BadRequest("The scripted model rejects this.")
        if content == "raise":
            raise RuntimeError("a bug in the backend")
        words = content.split() * int(body.get("repeat", 1))
        for word in words:
            if self._token_seconds:
                time.sleep(self._token_seconds)
            if self._count_file:
                with open(self._count_file, "a") as handle:
                    handle.write(".")
            yield word


def load(options: JsonObject) -> ScriptedBackend:
    return ScriptedBackend(options)
