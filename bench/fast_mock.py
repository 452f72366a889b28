"""A 0 ms OpenAI-compatible mock on a raw asyncio protocol (uvloop if present): the loopback "cloud"
for the gateway benchmark, when the ASGI stand-in (tests/cloud_standin.py under uvicorn) would be
the bottleneck.

It answers the way tests/cloud_standin.py does (same reply, same SSE chunking, usage chunk when
`stream_options.include_usage`), over HTTP/1.1 keep-alive, with responses cached per
(path, model, stream, include_usage). Endpoints: POST /v1/chat/completions, POST /v1/completions,
GET /v1/models, GET /healthz (paths also without /v1).

    python bench/fast_mock.py --port 8001      # serves until killed (or --max-seconds)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

try:
    import uvloop
except ImportError:
    uvloop = None  # type: ignore[assignment]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.cloud_standin import stream_chunks

REPLY = "The capital of France is Paris."
CREATED = int(time.time())
_cache: dict[tuple[bytes, str, bool, bool], bytes] = {}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _json_response(status: int, payload: Any) -> bytes:
    body = _dumps(payload)
    reason = {200: "OK", 404: "Not Found", 400: "Bad Request"}.get(status, "Error")
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _completion(model: str, chat: bool) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "logprobs": None}
    if chat:
        choice["message"] = {"role": "assistant", "content": REPLY, "refusal": None}
    else:
        choice["text"] = REPLY
    words = len(REPLY.split())
    return {
        "id": "cmpl-mock",
        "object": "chat.completion" if chat else "text_completion",
        "created": CREATED,
        "model": model,
        "choices": [choice],
        "usage": {"prompt_tokens": 12, "completion_tokens": words, "total_tokens": 12 + words},
    }


def _stream(model: str, chat: bool, include_usage: bool) -> bytes:
    chunks = stream_chunks(REPLY, model, chat, include_usage, chunk_id="cmpl-mock")
    events = [b"data: " + _dumps(chunk) + b"\n\n" for chunk in chunks]
    events.append(b"data: [DONE]\n\n")
    body = b"".join(b"%x\r\n%s\r\n" % (len(event), event) for event in events) + b"0\r\n\r\n"
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
        b"transfer-encoding: chunked\r\n\r\n"
    )
    return head + body


def respond(method: bytes, target: bytes, body: bytes) -> bytes:
    path = target.split(b"?", 1)[0]
    if path.startswith(b"/v1/"):
        path = path[3:]
    if method == b"GET" and path in (b"/models", b"/healthz"):
        return _json_response(200, {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]})
    if method != b"POST" or path not in (b"/chat/completions", b"/completions"):
        return _json_response(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
    try:
        request = json.loads(body)
    except ValueError:
        return _json_response(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
    model = str(request.get("model", ""))
    stream = bool(request.get("stream"))
    usage = bool((request.get("stream_options") or {}).get("include_usage"))
    key = (path, model, stream, usage)
    cached = _cache.get(key)
    if cached is None:
        chat = path == b"/chat/completions"
        cached = _stream(model, chat, usage) if stream else _json_response(200, _completion(model, chat))
        if len(_cache) < 64:
            _cache[key] = cached
    return cached


class MockProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.transport is not None and not self.transport.is_closing():
            request = self._next_request()
            if request is None:
                return
            method, target, body, close = request
            self.transport.write(respond(method, target, body))
            if close:
                self.transport.close()

    def _next_request(self) -> tuple[bytes, bytes, bytes, bool] | None:
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buf[:end])
        lower = head.lower()
        line = head[: head.find(b"\r\n")] if b"\r\n" in head else head
        method, target, _ = line.split(b" ", 2)
        close = b"\r\nconnection: close" in lower
        if b"\r\ntransfer-encoding: chunked" in lower:
            pos, parts = end + 4, list[bytes]()
            while True:
                line_end = buf.find(b"\r\n", pos)
                if line_end < 0:
                    return None
                size = int(bytes(buf[pos:line_end]).split(b";", 1)[0], 16)
                if size == 0:
                    final = buf.find(b"\r\n\r\n", line_end)
                    if final < 0:
                        return None
                    del buf[: final + 4]
                    return method, target, b"".join(parts), close
                if len(buf) < line_end + 2 + size + 2:
                    return None
                parts.append(bytes(buf[line_end + 2 : line_end + 2 + size]))
                pos = line_end + 2 + size + 2
        at = lower.find(b"\r\ncontent-length:")
        length = 0
        if at >= 0:
            stop = lower.find(b"\r\n", at + 2)
            length = int(lower[at + 17 : stop if stop >= 0 else None])
        if len(buf) < end + 4 + length:
            return None
        body = bytes(buf[end + 4 : end + 4 + length])
        del buf[: end + 4 + length]
        return method, target, body, close


async def serve(host: str, port: int, max_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(MockProtocol, host, port, backlog=1024, reuse_address=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: None if stop.done() else stop.set_result(None))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop, timeout=max_seconds)
    server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="exit after this long")
    args = parser.parse_args()
    if not (args.host == "localhost" or args.host.startswith("127.")):
        parser.error("the mock listens on loopback only")
    if uvloop is not None:
        uvloop.install()
    asyncio.run(serve(args.host, args.port, args.max_seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
