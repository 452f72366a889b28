"""A small closed-loop HTTP/1.1 keep-alive load generator (raw asyncio protocol, uvloop if present).

It exists because a Python HTTP client library (httpx, aiohttp) tops out at a few hundred
requests/s on this machine, well below what the gateway serves. Each of `--concurrency`
connections sends one POST, reads the whole response (Content-Length or chunked), records
the time to the first body byte (TTFB: for SSE, the first event) and to the last byte, and
sends the next one at once. Requests that start during `--warmup` are not counted.

    python bench/loadgen.py --url http://127.0.0.1:8000/v1/chat/completions \
        --body-file body.json --api-key K --concurrency 32 --duration 5

Prints one JSON object: requests, rps, errors, latency and TTFB percentiles in ms. Loopback only:
the URL must be an http:// address on 127.0.0.0/8 or localhost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

try:
    import uvloop
except ImportError:  # plain asyncio still works, only slower
    uvloop = None  # type: ignore[assignment]

_now = time.perf_counter


class _Connection(asyncio.Protocol):
    """One keep-alive connection that sends `request` again each time a response completes."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self._reset()

    def _reset(self) -> None:
        self.in_body = False
        self.status = 0
        self.length: int | None = None  # Content-Length, or None for chunked
        self.chunk_left: int | None = None  # bytes (data + CRLF) still due in the current chunk
        self.sent_at = 0.0
        self.first_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.sent_at and not self.run.stopped:
            self.run.errors += 1  # the server closed with a response pending
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self) -> None:
        assert self.transport is not None
        if self.run.stopped:
            self.transport.close()
            return
        self._reset()
        self.sent_at = _now()
        self.transport.write(self.run.next_request())

    def data_received(self, data: bytes) -> None:
        now = _now()
        self.buf += data
        if not self.in_body:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            del self.buf[: end + 4]
            self.status = int(head[9:12])
            self.in_body = True
            if b"\r\ntransfer-encoding: chunked" in head:
                self.length = None
            else:
                at = head.find(b"\r\ncontent-length:")
                if at < 0:
                    self.run.errors += 1  # close-delimited bodies are not supported
                    self.transport.close()  # type: ignore[union-attr]
                    return
                stop = head.find(b"\r\n", at + 2)
                self.length = int(head[at + 17 : stop if stop >= 0 else None])
        if self.buf and not self.first_at:
            self.first_at = now
        if self.length is not None:
            if len(self.buf) < self.length:
                return
            del self.buf[: self.length]
            self._done(now)
            return
        self._read_chunks(now)

    def _read_chunks(self, now: float) -> None:
        buf = self.buf
        while True:
            if self.chunk_left is None:
                line_end = buf.find(b"\r\n")
                if line_end < 0:
                    return
                size = int(bytes(buf[:line_end]).split(b";", 1)[0], 16)
                del buf[: line_end + 2]
                if size == 0:  # last chunk: no trailers expected, only the final CRLF
                    if len(buf) < 2:
                        self.chunk_left = -2  # wait for the final CRLF
                        return
                    del buf[:2]
                    self._done(now)
                    return
                self.chunk_left = size + 2
            if self.chunk_left == -2:
                if len(buf) < 2:
                    return
                del buf[:2]
                self._done(now)
                return
            if len(buf) < self.chunk_left:
                return
            del buf[: self.chunk_left]
            self.chunk_left = None

    def _done(self, now: float) -> None:
        self.run.record(self.status, self.sent_at, self.first_at or now, now)
        self.sent_at = 0.0
        self.send()


class _Run:
    def __init__(
        self,
        request: bytes,
        warmup_until: float,
        stop_at: float,
        make_request: Callable[[int], bytes] | None = None,
    ) -> None:
        self.request = request
        self.make_request = make_request  # a fresh request each time (bodies that must differ)
        self.sent = 0
        self.warmup_until = warmup_until
        self.stop_at = stop_at
        self.stopped = False
        self.errors = 0
        self.non_2xx = 0
        self.latency: list[float] = []
        self.ttfb: list[float] = []
        self.counted_from = 0.0
        self.last_done = 0.0

    def next_request(self) -> bytes:
        self.sent += 1
        return self.request if self.make_request is None else self.make_request(self.sent)

    def record(self, status: int, sent: float, first: float, done: float) -> None:
        if done >= self.stop_at:
            self.stopped = True
        if sent < self.warmup_until:
            return
        if not 200 <= status < 300:
            self.non_2xx += 1
            return
        self.latency.append(done - sent)
        self.ttfb.append(first - sent)
        self.last_done = done


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summary_ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(percentile(ordered, 50) * 1000, 3),
        "p90": round(percentile(ordered, 90) * 1000, 3),
        "p99": round(percentile(ordered, 99) * 1000, 3),
        "max": round(ordered[-1] * 1000, 3) if ordered else float("nan"),
        "mean": round(sum(ordered) / len(ordered) * 1000, 3) if ordered else float("nan"),
    }


def build_request(url: str, body: bytes, api_key: str | None) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http" or not (host == "localhost" or host.startswith("127.")):
        raise SystemExit("loadgen only targets http:// loopback addresses")
    port = parts.port or 80
    headers = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        "Accept: */*",
        f"Content-Length: {len(body)}",
    ]
    if api_key:
        headers.append(f"Authorization: Bearer {api_key}")
    return host, port, ("\r\n".join(headers) + "\r\n\r\n").encode() + body


async def run_load(
    url: str,
    body: bytes,
    api_key: str | None,
    concurrency: int,
    duration: float,
    warmup: float,
    make_body: Callable[[int], bytes] | None = None,
) -> dict[str, object]:
    """`make_body(n)`, when given, makes the n-th request's body (e.g. never seen before)."""
    host, port, request = build_request(url, body, api_key)
    make_request = None
    if make_body is not None:
        make_request = lambda n: build_request(url, make_body(n), api_key)[2]  # noqa: E731
    loop = asyncio.get_running_loop()
    start = _now()
    run = _Run(request, start + warmup, start + warmup + duration, make_request)
    connections = []
    for _ in range(concurrency):
        _, protocol = await loop.create_connection(lambda: _Connection(run), host, port)
        connections.append(protocol)
    # Bounded: stop at stop_at, then give in-flight requests a moment to finish.
    await asyncio.sleep(max(0.0, run.stop_at - _now()))
    run.stopped = True
    waits = [c.closed for c in connections]
    _, pending = await asyncio.wait(waits, timeout=5)
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()
    counted = len(run.latency)
    window = max(1e-9, min(run.last_done, run.stop_at) - run.warmup_until) if counted else duration
    return {
        "generator": "loadgen.py (asyncio" + (", uvloop)" if uvloop else ")"),
        "concurrency": concurrency,
        "duration_s": round(window, 3),
        "requests": counted,
        "rps": round(counted / window, 1),
        "errors": run.errors + len(pending),
        "non_2xx": run.non_2xx,
        "latency_ms": summary_ms(run.latency),
        "ttfb_ms": summary_ms(run.ttfb),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", required=True)
    parser.add_argument("--api-key")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds (max 120)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds not counted (max 30)")
    args = parser.parse_args(argv)
    if not (0 < args.duration <= 120 and 0 <= args.warmup <= 30 and 1 <= args.concurrency <= 1024):
        parser.error("duration must be in (0, 120], warmup in [0, 30], concurrency in [1, 1024]")
    with open(args.body_file, "rb") as handle:
        body = handle.read()
    if uvloop is not None:
        uvloop.install()
    result = asyncio.run(run_load(args.url, body, args.api_key, args.concurrency, args.duration, args.warmup))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
