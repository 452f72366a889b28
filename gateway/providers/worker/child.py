"""A model worker process: `python -m gateway.providers.worker.child FD PARENT_PID`.

It owns one model and serves one request at a time over the socket `FD` (see channel.py).
Two threads: the main thread loads the backend and runs requests; a reader thread takes
`Run` and `Cancel` messages off the socket, and exits the process the moment the socket
reaches end of file, because that means the gateway is gone (or is closing the worker).
`die_with_parent` covers a gateway that dies while this process is busy in native code.

Stream chunks are sent in batches at most every `FLUSH_INTERVAL` seconds (the first chunk
and the end at once): each frame wakes the gateway's event loop, and that CPU is taken from
the model on the same cores.
"""

from __future__ import annotations

import importlib
import os
import queue
import signal
import socket
import sys
import threading
import time

from gateway.errors import BadRequest, GatewayError
from gateway.exchange import JsonObject
from gateway.lifetime import die_with_parent
from gateway.providers.worker import channel
from gateway.providers.worker.backend import ModelBackend

FLUSH_INTERVAL = 0.010
EXIT_PROTOCOL_ERROR = 3


def main(argv: list[str]) -> int:
    fd, parent_pid = int(argv[0]), int(argv[1])
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the gateway: it closes us
    connection = _Connection(socket.socket(fileno=fd))
    load = connection.receive()
    if not isinstance(load, channel.Load):
        return EXIT_PROTOCOL_ERROR
    try:
        backend = _load(load)
    except GatewayError as error:  # the backend's own words for the caller (e.g. files missing)
        connection.send(channel.LoadFailed(error.message))
        return 1
    except Exception as exc:  # the type says why; its text could name paths of the server
        connection.send(channel.LoadFailed(f"The local model could not be loaded ({type(exc).__name__})."))
        return 1
    connection.send(channel.Ready(backend.describe()))
    runs: queue.SimpleQueue[channel.Run] = queue.SimpleQueue()
    cancelled: set[int] = set()
    reader = threading.Thread(target=_read, args=(connection, runs, cancelled), name="channel", daemon=True)
    reader.start()
    while True:
        _serve(backend, connection, runs.get(), cancelled)


def _load(load: channel.Load) -> ModelBackend:
    module_name, _, function = load.loader.partition(":")
    loader = getattr(importlib.import_module(module_name), function)
    backend: ModelBackend = loader(load.options)
    return backend


def _read(connection: _Connection, runs: queue.SimpleQueue[channel.Run], cancelled: set[int]) -> None:
    while True:
        message = connection.receive()
        if isinstance(message, channel.Run):
            runs.put(message)
        elif isinstance(message, channel.Cancel):
            cancelled.add(message.id)
        else:
            os._exit(EXIT_PROTOCOL_ERROR)


def _serve(backend: ModelBackend, connection: _Connection, run: channel.Run, cancelled: set[int]) -> None:
    try:
        if run.id in cancelled:  # the caller left while the request was on its way
            connection.send(channel.Done(run.id, None))
        elif run.stream:
            sender = _ChunkSender(connection, run.id, cancelled)
            try:
                backend.stream(run.endpoint, run.body, sender)
            finally:
                sender.flush()
            connection.send(channel.Done(run.id, None))
        else:
            connection.send(channel.Done(run.id, backend.complete(run.endpoint, run.body)))
    except BadRequest as error:
        connection.send(channel.Failed(run.id, "bad_request", error.message))
    except Exception as exc:  # the request fails; the worker and its model are still fine
        connection.send(channel.Failed(run.id, "error", f"The local model failed: {type(exc).__name__}."))
    finally:
        cancelled.discard(run.id)


class _ChunkSender:
    """The `emit` a backend streams into: chunks go out in one frame per `FLUSH_INTERVAL`."""

    def __init__(self, connection: _Connection, run_id: int, cancelled: set[int]) -> None:
        self._connection, self._run_id, self._cancelled = connection, run_id, cancelled
        self._batch: list[JsonObject] = []
        self._flushed_at = 0.0  # the first chunk goes at once

    def __call__(self, chunk: JsonObject) -> bool:
        self._batch.append(chunk)
        moment = time.monotonic()
        if moment - self._flushed_at >= FLUSH_INTERVAL:
            self.flush()
            self._flushed_at = moment
        return self._run_id not in self._cancelled  # the caller went away: stop generating

    def flush(self) -> None:
        if self._batch:
            self._connection.send(channel.Chunks(self._run_id, self._batch))
            self._batch = []


class _Connection:
    """Blocking frames over the socket; the end of the socket ends the process."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._send_lock = threading.Lock()

    def send(self, message: channel.Message) -> None:
        data = channel.encode(message)
        try:
            with self._send_lock:
                self._sock.sendall(data)
        except OSError:  # the gateway is gone
            os._exit(0)

    def receive(self) -> channel.Message:
        try:
            length = channel.frame_length(self._exactly(channel.HEADER.size))
            return channel.decode(self._exactly(length))
        except channel.ProtocolError:
            os._exit(EXIT_PROTOCOL_ERROR)

    def _exactly(self, size: int) -> bytes:
        parts: list[bytes] = []
        while size:
            try:
                part = self._sock.recv(min(size, 1 << 20))
            except OSError:
                part = b""
            if not part:  # end of file: the gateway closed us or died
                os._exit(0)
            parts.append(part)
            size -= len(part)
        return b"".join(parts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
