"""A misbehaving OpenAI-compatible upstream on a raw socket, for the fault tests: it can do
what an ASGI app cannot (reset the connection, cut a chunked stream short). The model name
says what it does:

- `fault-reset`: reads the request, then resets the TCP connection (RST, no response);
- `fault-truncate`: starts a 200 SSE stream, sends two chunks, then closes mid-body;
- `slow-answer`: answers after `slow_seconds`;
- `slow-stream`: streams `stream_chunks` chunks, one every `chunk_seconds`, then `[DONE]`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.servers import free_port


class FaultyUpstream:
    def __init__(self, slow_seconds: float = 1.5, chunk_seconds: float = 0.2, stream_chunks: int = 8) -> None:
        self.slow_seconds = slow_seconds
        self.chunk_seconds = chunk_seconds
        self.stream_chunks = stream_chunks
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one request after another on this connection
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                request = json.loads(await reader.readexactly(length)) if length else {}
                self.requests += 1
                if not await self._answer(request, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            if not writer.is_closing():
                writer.close()

    async def _answer(self, request: dict[str, Any], writer: asyncio.StreamWriter) -> bool:
        model = str(request.get("model", ""))
        if model == "fault-reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if model == "fault-truncate":
            writer.write(
                _stream_head() + _chunked(_event(_chunk("The capital "))) + _chunked(_event(_chunk("of")))
            )
            await writer.drain()
            writer.transport.abort()  # no terminating chunk, no [DONE]
            return False
        if model == "slow-stream":
            writer.write(_stream_head())
            for index in range(self.stream_chunks):
                await asyncio.sleep(self.chunk_seconds)
                writer.write(_chunked(_event(_chunk(f"word{index} "))))
                await writer.drain()
            writer.write(_chunked(b"data: [DONE]\n\n") + b"0\r\n\r\n")
            await writer.drain()
            return True
        if model == "slow-answer":
            await asyncio.sleep(self.slow_seconds)
        body = json.dumps(_completion("The capital of France is Paris.")).encode()
        head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        return True


def _stream_head() -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def _chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def _chunk(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-faulty",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "faulty",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-faulty",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "faulty",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 7, "total_tokens": 14},
    }


@contextmanager
def faulty_upstream(upstream: FaultyUpstream | None = None) -> Iterator[tuple[FaultyUpstream, str]]:
    """Serve a `FaultyUpstream` on loopback in a thread; yields it and its base URL (with /v1)."""
    upstream = upstream or FaultyUpstream()
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    server: list[asyncio.base_events.Server] = []

    async def serve() -> None:
        server.append(await asyncio.start_server(upstream.handle, "127.0.0.1", port))
        started.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(serve()), loop.run_forever()), daemon=True
    )
    thread.start()
    if not started.wait(10):
        raise RuntimeError("faulty upstream did not start")
    try:
        yield upstream, f"http://127.0.0.1:{port}/v1"
    finally:
        loop.call_soon_threadsafe(server[0].close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
