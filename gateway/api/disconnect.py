"""Stop working for a caller that has gone: when the client disconnects while the pipeline
still waits (on the audit log, the cloud, or the local model's queue), the pipeline's task is
cancelled, so the upstream call is abandoned and no fallback starts. Streams are watched by
the streaming response itself once they have started."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from litestar import Request

T = TypeVar("T")


class DisconnectWatch:
    def __init__(self, request: Request) -> None:
        self._request = request
        self.body_read = asyncio.Event()  # before that, the body's messages are the pipeline's

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        task = asyncio.ensure_future(work)
        watcher = asyncio.ensure_future(self._watch(task))
        try:
            return await task
        finally:
            watcher.cancel()

    async def _watch(self, task: asyncio.Future[Any]) -> None:
        await self.body_read.wait()
        while not task.done():
            message = await self._request.receive()
            if message["type"] == "http.disconnect":
                task.cancel()
                return
