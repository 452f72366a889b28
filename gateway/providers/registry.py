"""Provider instances by name, built from `gateway.yaml` once and reused across requests.

Clients hold connection pools and the local model holds its weights: a policy reload that
leaves a provider's configuration unchanged keeps the same instance.
"""

from __future__ import annotations

from gateway.policy.schema import GatewayConfig, ProviderConfig
from gateway.providers.base import Provider
from gateway.providers.fake import FakeProvider
from gateway.providers.llama_cpp_local import LlamaCppProvider, resolve_model_path
from gateway.providers.openai_cloud import OpenAICloudProvider
from gateway.providers.transformers_local import TransformersOptions, TransformersProvider
from gateway.settings import Settings
from gateway.telemetry.provider import TracedProvider


class ProviderRegistry:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._built: dict[str, tuple[ProviderConfig, Provider]] = {}

    def get(self, gateway: GatewayConfig, name: str) -> Provider:
        config = gateway.providers[name]
        built = self._built.get(name)
        if built is None or built[0] != config:
            built = (config, self._build(config))
            self._built[name] = built
        return TracedProvider(built[1], name, config.type)  # the provider call's span

    def install(self, name: str, config: ProviderConfig, provider: Provider) -> None:
        """Use a ready-made provider for `name` (tests inject fakes and failing providers)."""
        self._built[name] = (config, provider)

    def _build(self, config: ProviderConfig) -> Provider:
        settings = self._settings
        if config.type == "llama_cpp":
            return LlamaCppProvider(
                resolve_model_path(config.model_path, settings.environ),
                n_ctx=config.n_ctx,
                n_gpu_layers=config.n_gpu_layers,
                n_threads=config.n_threads,
                queue_size=config.queue_size or settings.local_queue_size,
            )
        if config.type == "transformers":
            return TransformersProvider(
                TransformersOptions.of(config), queue_size=config.queue_size or settings.local_queue_size
            )
        if config.type == "fake":
            return FakeProvider()
        return OpenAICloudProvider(
            base_url=config.base_url or settings.environ.get("OPENAI_BASE_URL", ""),
            api_key=config.api_key or settings.environ.get("OPENAI_API_KEY", ""),
            timeout_seconds=config.timeout_seconds or settings.upstream_timeout_seconds,
        )

    async def aclose(self) -> None:
        for _, provider in self._built.values():
            await provider.aclose()
        self._built.clear()
