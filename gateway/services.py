"""Everything a request needs, built once per process from the settings and injected."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from gateway.audit.record import AuditRecord
from gateway.audit.writer import AuditWriter
from gateway.checks.output import OutputGuard, PassThrough
from gateway.checks.registry import CheckRegistry
from gateway.db.engine import make_engine
from gateway.policy.schema import TenantPolicy
from gateway.policy.store import PolicyStore
from gateway.providers.registry import ProviderRegistry
from gateway.settings import Settings
from gateway.telemetry import Telemetry


@dataclass
class Services:
    settings: Settings
    policies: PolicyStore
    checks: CheckRegistry
    providers: ProviderRegistry
    audit: AuditWriter
    telemetry: Telemetry = field(default_factory=Telemetry)
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            policies=PolicyStore(settings.policies_dir, settings.environ),
            checks=CheckRegistry(),
            providers=ProviderRegistry(settings),
            audit=AuditWriter(make_engine(settings.database_url)),
            telemetry=Telemetry.from_environment(settings.environ),
        )

    def output_guard(self, policy: TenantPolicy) -> OutputGuard:
        return PassThrough()

    async def conclude(self, record: AuditRecord) -> None:
        """The request's last step: its audit record, committed, and its telemetry."""
        self.telemetry.observe(record)
        await self.audit.write(record)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine to completion even though nobody awaits it (kept referenced)."""
        task = asyncio.ensure_future(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def aclose(self) -> None:
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)
        await self.providers.aclose()
        await asyncio.to_thread(self.audit.stop)
