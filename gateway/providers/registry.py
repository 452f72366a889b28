"""Provider instances by name and configuration, built from `gateway.yaml` and reused.

Clients hold connection pools and local models hold their weights (in a worker process), so a
policy reload that leaves a provider's configuration unchanged keeps the same instance. One
that a reload changes or removes is retired: requests that started under the old policy keep
using it (each request sees one policy version), and it is closed after `drain_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib

from gateway.policy.schema import LOCAL_PROVIDER_TYPES, GatewayConfig, ProviderConfig
from gateway.providers.base import Provider
from gateway.providers.fake import FakeProvider
from gateway.providers.llama_cpp_local import llama_cpp_worker, resolve_model_path
from gateway.providers.openai_cloud import OpenAICloudProvider
from gateway.providers.transformers_local import transformers_worker
from gateway.providers.worker.host import WorkerState
from gateway.providers.worker.provider import WorkerProvider
from gateway.settings import Settings
from gateway.telemetry.provider import TracedProvider

_Key = tuple[str, ProviderConfig]
DRAIN_MARGIN_SECONDS = 5.0


class ProviderRegistry:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._built: dict[_Key, Provider] = {}
        self._installed: dict[str, tuple[ProviderConfig, Provider]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._retired: list[Provider] = []
        self.drain_seconds = settings.upstream_timeout_seconds + DRAIN_MARGIN_SECONDS

    def get(self, gateway: GatewayConfig, name: str) -> Provider:
        config = gateway.providers[name]
        return TracedProvider(self._provider(name, config), name, config.type)  # the call's span

    def _provider(self, name: str, config: ProviderConfig) -> Provider:
        installed = self._installed.get(name)
        if installed is not None and installed[0] == config:
            return installed[1]
        key = (name, config)
        provider = self._built.get(key)
        if provider is None:
            provider = self._built[key] = self._build(name, config)
        return provider

    def install(self, name: str, config: ProviderConfig, provider: Provider) -> None:
        """Use a ready-made provider for `name` (tests inject fakes and failing providers)."""
        self._installed[name] = (config, provider)

    def start_workers(self, gateway: GatewayConfig) -> None:
        """Start every model worker now, so the first request does not wait for a model load."""
        for name, config in gateway.providers.items():
            provider = self._provider(name, config)
            if isinstance(provider, WorkerProvider):
                provider.start()

    def worker(self, gateway: GatewayConfig, name: str) -> WorkerProvider | None:
        """The model worker provider `name` of this configuration, if it is one."""
        provider = self._provider(name, gateway.providers[name])
        return provider if isinstance(provider, WorkerProvider) else None

    def worker_states(self, gateway: GatewayConfig) -> dict[str, WorkerState]:
        """Each model worker of this configuration, by provider name (for /readyz)."""
        states: dict[str, WorkerState] = {}
        for name, config in gateway.providers.items():
            provider = self._built.get((name, config))
            if isinstance(provider, WorkerProvider):
                states[name] = provider.state
            elif provider is None and config.type in LOCAL_PROVIDER_TYPES:
                states[name] = "stopped"
        return states

    def retire_replaced(self, gateway: GatewayConfig) -> None:
        """After a reload: close, once requests of older versions had time to end, every
        provider that `gateway` no longer configures this way."""
        current = set(gateway.providers.items())
        for key in [key for key in self._built if key not in current]:
            provider = self._built.pop(key)
            try:
                task = asyncio.get_running_loop().create_task(self._close_later(provider))
            except RuntimeError:  # reloaded outside the server (tests): closed with the registry
                self._retired.append(provider)
                continue
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _close_later(self, provider: Provider) -> None:
        try:
            await asyncio.sleep(self.drain_seconds)
        finally:  # cancelled at shutdown: close it now
            await provider.aclose()

    def _build(self, name: str, config: ProviderConfig) -> Provider:
        settings = self._settings
        # A cloud call's time limit; for a local model, how long a request may hear nothing.
        timeout = config.timeout_seconds or settings.upstream_timeout_seconds
        queue_size = config.queue_size or settings.local_queue_size
        if config.type == "llama_cpp":
            worker = llama_cpp_worker(
                name,
                resolve_model_path(config.model_path, settings.environ),
                n_ctx=config.n_ctx,
                n_gpu_layers=config.n_gpu_layers,
                n_threads=config.n_threads,
                queue_size=queue_size,
                stall_seconds=timeout,
            )
            return WorkerProvider(worker)
        if config.type == "transformers":
            return WorkerProvider(
                transformers_worker(name, config, queue_size=queue_size, stall_seconds=timeout)
            )
        if config.type == "fake":
            return FakeProvider()
        return OpenAICloudProvider(
            base_url=config.base_url or settings.environ.get("OPENAI_BASE_URL", ""),
            api_key=config.api_key or settings.environ.get("OPENAI_API_KEY", ""),
            timeout_seconds=timeout,
        )

    async def aclose(self) -> None:
        for task in list(self._closing):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._closing, return_exceptions=True)
        installed = (provider for _, provider in self._installed.values())
        providers = [*self._built.values(), *installed, *self._retired]
        self._built.clear()
        self._installed.clear()
        self._retired.clear()
        for provider in providers:
            await provider.aclose()
