"""A provider that answers from memory: for unit tests and demos without a model or network."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from gateway.errors import UpstreamError
from gateway.exchange import Completion, JsonObject, Usage
from gateway.providers.base import ProviderCall


class FakeProvider:
    def __init__(self, reply: str = "Paris.", fail: bool = False) -> None:
        self.reply = reply
        self.fail = fail
        self.calls: list[ProviderCall] = []

    def _check(self, call: ProviderCall) -> None:
        self.calls.append(call)
        if self.fail:
            raise UpstreamError("The upstream provider answered with HTTP 500.")

    async def complete(self, call: ProviderCall) -> Completion:
        self._check(call)
        if call.endpoint == "completions":
            choice: JsonObject = {"index": 0, "text": self.reply, "finish_reason": "stop"}
            obj = "text_completion"
        else:
            message = {"role": "assistant", "content": self.reply}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            obj = "chat.completion"
        tokens = len(self.reply.split())
        body: JsonObject = {
            "id": "fake-1",
            "object": obj,
            "created": int(time.time()),
            "model": call.upstream_model,
            "choices": [choice],
            "usage": {"prompt_tokens": 1, "completion_tokens": tokens, "total_tokens": tokens + 1},
        }
        return Completion(body=body, usage=Usage(1, tokens))

    async def stream(self, call: ProviderCall) -> AsyncIterator[JsonObject]:
        self._check(call)
        for index, word in enumerate(self.reply.split(" ")):
            piece = word if index == 0 else " " + word
            if call.endpoint == "completions":
                choice: JsonObject = {"index": 0, "text": piece, "finish_reason": None}
            else:
                choice = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
            yield {"id": "fake-1", "object": "chunk", "model": call.upstream_model, "choices": [choice]}

    async def aclose(self) -> None:
        return None
