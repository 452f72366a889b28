"""Everything a request needs, built once per process from the settings and injected."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.audit.record import AuditRecord
from gateway.audit.spend import month_to_date_spend
from gateway.audit.writer import AuditWriter
from gateway.checks.base import CheckContext, InputScan
from gateway.checks.images.check import ImageCheck, ImageWork, local_model_reads_images
from gateway.checks.images.decode import ImageLimits
from gateway.checks.images.ocr import TesseractOcr
from gateway.checks.images.source import FetchLimits, ImageSource, trust_store
from gateway.checks.input import BuiltinCheck, InputStage, build_input_checks
from gateway.checks.output import OutputGuard, OutputStage
from gateway.checks.pii.check import PiiCheck
from gateway.checks.pii.detection import Detection, DetectionSettings
from gateway.checks.pii.detector import Detector
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.hashing import Hasher
from gateway.exchange import Usage
from gateway.limits import ProcessLimits, TenantLimits, limits_for
from gateway.limits.budget import cost_usd
from gateway.policy.schema import TenantPolicy
from gateway.policy.store import PolicyStore
from gateway.providers.registry import ProviderRegistry
from gateway.settings import Settings
from gateway.telemetry import Telemetry
from gateway.telemetry.guard import TracedGuard
from gateway.telemetry.spans import stage

log = logging.getLogger(__name__)


def input_checks(
    settings: Settings, policies: PolicyStore, detector: Detector | Callable[[], Detector] | None = None
) -> tuple[InputStage, Detection]:
    """The input stage as the gateway runs it (also used by `gateway policy test`)."""
    detection = Detection(detector or PresidioDetector, DetectionSettings.from_environ(settings.environ))
    images = ImageCheck(
        lambda policy: local_model_reads_images(policies.current.gateway, policy),
        detection,
        image_work(settings),
    )
    builtins: list[BuiltinCheck] = [images, PiiCheck(detection, Hasher.from_environ(settings.environ))]
    context = CheckContext(environ=settings.environ, pii_detection=detection)
    return InputStage(builtins, build_input_checks(context)), detection


def image_work(settings: Settings) -> ImageWork:
    limits = ImageLimits(settings.image_max_bytes, settings.image_max_pixels)
    fetch = FetchLimits(settings.image_fetch_timeout_seconds, settings.image_fetch_max_redirects)
    return ImageWork(
        ocr=TesseractOcr(),
        source=ImageSource(limits, fetch, trust=trust_store(settings.image_fetch_ca_file)),
        limits=limits,
        ocr_timeout_seconds=settings.ocr_timeout_seconds,
        concurrency=os.cpu_count() or 1,
    )


@dataclass
class Services:
    settings: Settings
    policies: PolicyStore
    checks: InputStage
    providers: ProviderRegistry
    audit: AuditWriter
    output: OutputStage
    telemetry: Telemetry = field(default_factory=Telemetry)
    limits: TenantLimits = field(default_factory=ProcessLimits)
    detection: Detection | None = None  # the PII detector, shared by the input and output stages
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def build(cls, settings: Settings, detector: Detector | Callable[[], Detector] | None = None) -> Services:
        """`detector`: a ready PII detector to share (tests build one per session; it takes a
        second to load), or a picklable factory that each worker process calls when
        `GATEWAY_PII_WORKERS` > 0. Without one, Presidio is loaded here, once, or in each
        worker process."""
        policies = PolicyStore(settings.policies_dir, settings.environ)
        checks, detection = input_checks(settings, policies, detector)
        output = OutputStage.build(CheckContext(environ=settings.environ, pii_detection=detection))
        audit = AuditWriter.from_settings(settings)
        providers = ProviderRegistry(settings)
        policies.on_install.append(lambda fresh: providers.retire_replaced(fresh.gateway))

        def month_spend() -> dict[str, float]:
            return month_to_date_spend(audit.engine, policies.current.gateway.models, datetime.now(UTC))

        return cls(
            settings=settings,
            policies=policies,
            checks=checks,
            output=output,
            detection=detection,
            providers=providers,
            audit=audit,
            telemetry=Telemetry.from_environment(settings.environ),
            limits=limits_for(settings, month_spend),
        )

    def output_guard(self, policy: TenantPolicy, scan: InputScan | None) -> OutputGuard:
        return TracedGuard(self.output.guard(policy, scan))  # the output stage's span

    def start(self) -> None:
        """What runs before the first request: the model workers, when the settings ask."""
        if self.settings.start_model_workers:
            self.providers.start_workers(self.policies.current.gateway)

    async def conclude(self, record: AuditRecord) -> None:
        """The request's last step: its audit record, committed, and its telemetry."""
        started = time.perf_counter()
        try:
            with stage("audit_write"):
                await self.audit.write(record)
        finally:
            self.telemetry.observe_audit_write(time.perf_counter() - started)
            self.telemetry.observe(record, self._cost(record))

    def _cost(self, record: AuditRecord) -> float:
        entry = self.policies.current.gateway.models.get(record.model_served or "")
        usage = Usage(record.prompt_tokens, record.completion_tokens)
        return cost_usd(usage, entry.price) if entry is not None else 0.0

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine to completion even though nobody awaits it (kept referenced)."""
        task = asyncio.ensure_future(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def aclose(self) -> None:
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)
        await self.providers.aclose()
        await self.limits.aclose()
        self.checks.close()
        self.output.close()
        if self.detection is not None:
            self.detection.close()
        await asyncio.to_thread(self.audit.stop)
        await asyncio.to_thread(self.telemetry.shutdown)  # flush the last spans and metrics
