"""`ImageCheck`: what `routing.images` says about image parts in a chat request.

    block       403 `policy_violation`, param "images"
    local_only  the request stays on the local model, or 400 when that model cannot read images
    allow       nothing to do

Images are not scanned for PII (no OCR here), which is why a tenant may keep them local.
Whether the tenant's local model can read images is a fact about the catalogue, so the check is
given a function that answers it for a policy (see `Services.build`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gateway.checks.base import BlockedByCheck, Finding, InputScan
from gateway.checks.pii.fields import image_count
from gateway.errors import BadRequest
from gateway.policy.schema import GatewayConfig, TenantPolicy

IMAGES_LOCAL = "image:local_only"


class ImageCheck:
    name = "images"

    def __init__(self, local_model_reads_images: Callable[[TenantPolicy], bool]) -> None:
        self._reads_images = local_model_reads_images

    def enabled(self, policy: TenantPolicy) -> bool:
        return policy.routing.images != "allow"

    async def scan(self, policy: TenantPolicy, scan: InputScan) -> InputScan:
        count = image_count(scan.request.endpoint, scan.request.body)
        if not count:
            return scan
        if policy.routing.images == "block":
            raise BlockedByCheck(
                "The request was blocked by policy: it contains images (check images).",
                param="images",
                findings=(Finding(self.name, "image", "block", count),),
            )
        if not self._reads_images(policy):
            raise BadRequest(
                "This tenant's policy keeps images on the local model, which cannot read images.",
                param="messages",
            )
        return replace(
            scan,
            findings=(*scan.findings, Finding(self.name, "image", "local_only", count)),
            must_stay_local=(*scan.must_stay_local, IMAGES_LOCAL),
        )


def local_model_reads_images(gateway: GatewayConfig, policy: TenantPolicy) -> bool:
    """Local models are llama.cpp models here (the catalogue allows no other), and the llama.cpp
    provider runs text-only GGUF models: no vision projector is configured. Should the catalogue
    ever admit another local provider, it is assumed to take image parts as they come."""
    entry = gateway.models.get(policy.routing.local_model)
    if entry is None:
        return False
    return gateway.providers[entry.provider].type != "llama_cpp"
