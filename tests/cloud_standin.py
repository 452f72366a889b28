"""A real HTTP stand-in for the cloud: a small ASGI app that speaks the OpenAI API.

It answers chat and text completions, streamed or not, and records every body it receives so
tests can assert what reached "the cloud". Model names steer failures:
`fail-500` answers HTTP 500, `fail-slow` sleeps past any sane timeout.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tests.servers import answered_lifespan, read_body

Scope = dict[str, Any]


class CloudStandIn:
    def __init__(self, reply: str = "The capital of France is Paris.", echo: bool = False) -> None:
        self.reply = reply
        self.echo = echo  # answer with the last user message instead, as a model quoting it would
        self.received: list[dict[str, Any]] = []
        self.slow_seconds = 30.0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if await answered_lifespan(scope, receive, send):
            return
        body = await read_body(receive)
        path = scope["path"].removeprefix("/v1")
        if path == "/models":
            await _json(send, 200, {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]})
            return
        if path not in ("/chat/completions", "/completions"):
            await _json(send, 404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        request = json.loads(body)
        self.received.append(request)
        model = request.get("model", "")
        if model == "fail-500":
            await _json(send, 500, {"error": {"message": "upstream broke", "type": "server_error"}})
            return
        if model == "fail-slow":
            await asyncio.sleep(self.slow_seconds)
        chat = path == "/chat/completions"
        if self.echo and chat:
            request["_reply"] = "You wrote: " + str(request["messages"][-1].get("content"))
        if request.get("stream"):
            await self._stream(send, request, chat)
        else:
            await _json(send, 200, self._completion(request, chat))

    def _reply(self, request: dict[str, Any]) -> str:
        return str(request.get("_reply", self.reply))

    def _completion(self, request: dict[str, Any], chat: bool) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "logprobs": None}
        if chat:
            choice["message"] = {"role": "assistant", "content": self._reply(request), "refusal": None}
        else:
            choice["text"] = self.reply
        words = len(self._reply(request).split())
        return {
            "id": "cmpl-standin",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": request.get("model"),
            "choices": [choice],
            "usage": {"prompt_tokens": 12, "completion_tokens": words, "total_tokens": 12 + words},
        }

    async def _stream(self, send: Any, request: dict[str, Any], chat: bool) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        for chunk in stream_chunks(self._reply(request), request.get("model"), chat, include_usage):
            await send({"type": "http.response.body", "body": _event(chunk), "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def stream_chunks(
    reply: str, model: Any, chat: bool, include_usage: bool, chunk_id: str = "cmpl-standin"
) -> list[dict[str, Any]]:
    """The chunks an OpenAI stream of `reply` is made of: a word each, then usage if asked."""
    words = reply.split(" ")
    created = int(time.time())
    kind = "chat.completion.chunk" if chat else "text_completion"
    chunks: list[dict[str, Any]] = []
    for index, word in enumerate(words):
        piece = word if index == 0 else " " + word
        choice: dict[str, Any] = {"index": 0, "finish_reason": None}
        if chat:
            choice["delta"] = {"content": piece} if index else {"role": "assistant", "content": piece}
        else:
            choice["text"] = piece
        chunks.append(
            {"id": chunk_id, "object": kind, "created": created, "model": model, "choices": [choice]}
        )
    if include_usage:
        usage = {"prompt_tokens": 12, "completion_tokens": len(words), "total_tokens": 12 + len(words)}
        chunks.append(
            {
                "id": chunk_id,
                "object": kind,
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage,
            }
        )
    return chunks


def _event(chunk: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


async def _json(send: Any, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
