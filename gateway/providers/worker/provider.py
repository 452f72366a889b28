"""A provider whose model runs in a supervised worker process (see host.py).

Any backend that implements `ModelBackend` (backend.py) becomes a provider with
`WorkerProvider(WorkerSpec(name, "package.module:load", options, queue_size))`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gateway.exchange import Completion, JsonObject, Usage
from gateway.providers.base import ProviderCall
from gateway.providers.worker.host import ModelWorker, WorkerSpec, WorkerState


class WorkerProvider:
    def __init__(self, spec: WorkerSpec) -> None:
        self.worker = ModelWorker(spec)

    @property
    def state(self) -> WorkerState:
        return self.worker.state

    def start(self) -> None:
        """Start the worker now instead of on the first request (`gateway serve` does)."""
        self.worker.start()

    async def complete(self, call: ProviderCall) -> Completion:
        job = self.worker.submit(call.endpoint, _body(call), stream=False)
        try:
            payload = await job.result()
        finally:
            self.worker.abandon(job)  # a no-op once it ended; stops the model if the caller left
        usage = Usage()
        usage.add_from(payload)
        return Completion(body=payload, usage=usage)

    async def stream(self, call: ProviderCall) -> AsyncIterator[JsonObject]:
        job = self.worker.submit(call.endpoint, _body(call), stream=True)
        try:
            while (chunk := await job.next_chunk()) is not None:
                yield chunk
        finally:
            self.worker.abandon(job)

    async def aclose(self) -> None:
        await self.worker.aclose()


def _body(call: ProviderCall) -> JsonObject:
    return {**call.body, "model": call.upstream_model}
