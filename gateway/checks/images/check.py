"""`ImageCheck`: what `routing.images` says about the image parts of a chat request.

    block       403 `policy_violation`, param "images"
    local_only  the request stays on the local model (400 when that model cannot read images)
    redact      each image is read by OCR, the tenant's PII policy runs over the words found
                (the same detection as for text), every PII word is painted over, and the
                painted image is what goes on; a PII type the policy blocks blocks the request
    allow       nothing to do (the check is not enabled)

In an image every action but `block` and `allow` paints the value over: a picture cannot carry
a pseudonym or a mask. Remote image URLs are fetched only from the origins the policy allows
(`source.py`); otherwise they are a 400 under `local_only` and `redact`.

Fail closed: when OCR or detection cannot run, the request stays local if the policy allows a
local answer and the local model reads images, and is refused with 503
`image_redaction_unavailable` otherwise. An unscanned image never goes to the cloud.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from PIL import Image

from gateway.checks.base import BlockedByCheck, CheckOutcome, Finding, InputScan
from gateway.checks.images.decode import FORMATS, ImageLimits, open_image
from gateway.checks.images.ocr import Ocr, OcrUnavailable, Word
from gateway.checks.images.parts import ImagePart, image_parts, with_urls
from gateway.checks.images.redact import boxes_to_paint, encode, ocr_text, paint
from gateway.checks.images.source import ImageSource
from gateway.checks.pii.actions import resolve
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.scope import DetectionScope, actions_of, scope_of
from gateway.errors import BadRequest, DetectorUnavailable, ImageRedactionUnavailable
from gateway.policy.schema import LOCAL_PROVIDER_TYPES, GatewayConfig, TenantPolicy

IMAGES_LOCAL = "image:local_only"
REDACTION_UNAVAILABLE = "image:redaction_unavailable"
FINDINGS_CHECK = "image_pii"  # the PII found in images, beside "pii" (text) and "output_pii"


@dataclass(frozen=True, slots=True)
class ImageWork:
    """How the check reads images: its OCR engine, where bytes come from, and its bounds."""

    ocr: Ocr
    source: ImageSource
    limits: ImageLimits
    ocr_timeout_seconds: float
    concurrency: int  # images decoded and read at once, for the whole process


@dataclass(frozen=True, slots=True)
class _Redacted:
    url: str
    counts: Counter[str]  # entity -> words' spans painted
    blocked: Counter[str]


class ImageCheck:
    name = "images"

    def __init__(
        self,
        local_model_reads_images: Callable[[TenantPolicy], bool],
        detection: Detection | None = None,
        work: ImageWork | None = None,
    ) -> None:
        self._reads_images = local_model_reads_images
        self._detection = detection
        self._work = work
        self._slots = asyncio.Semaphore(work.concurrency if work else 1)

    def enabled(self, policy: TenantPolicy) -> bool:
        return policy.routing.images != "allow"

    async def scan(self, policy: TenantPolicy, scan: InputScan) -> InputScan:
        parts = image_parts(scan.request.endpoint, scan.request.body)
        if not parts:
            return scan
        if policy.routing.images == "block":
            raise BlockedByCheck(
                "The request was blocked by policy: it contains images (check images).",
                param="images",
                findings=(Finding(self.name, "image", "block", len(parts)),),
            )
        if policy.routing.images == "local_only":
            return await self._keep_local(policy, scan, parts)
        try:
            return await self._redact(policy, scan, parts)
        except (OcrUnavailable, DetectorUnavailable) as exc:
            return self._failed(policy, scan, exc)

    async def _keep_local(self, policy: TenantPolicy, scan: InputScan, parts: list[ImagePart]) -> InputScan:
        if not self._reads_images(policy):
            raise BadRequest(
                "This tenant's policy keeps images on the local model, which cannot read images.",
                param="messages",
            )
        # A local model that reads images would fetch remote URLs itself: the same SSRF rule
        # applies, so an allowed URL is fetched here and handed over inline.
        inlined = {}
        for part in parts:
            if part.url is not None and not part.url.startswith("data:"):
                work = self._require_work()
                raw = await work.source.load(part.url, policy.routing, _where(part))
                _, source_format = await asyncio.to_thread(open_image, raw, work.limits, _where(part))
                inlined[(part.message, part.part)] = _data_url(FORMATS[source_format], raw)
        request = scan.request.with_body(with_urls(scan.request.body, inlined)) if inlined else scan.request
        return replace(
            scan,
            request=request,
            findings=(*scan.findings, Finding(self.name, "image", "local_only", len(parts))),
            must_stay_local=(*scan.must_stay_local, IMAGES_LOCAL),
        )

    async def _redact(self, policy: TenantPolicy, scan: InputScan, parts: list[ImagePart]) -> InputScan:
        scope, blocking = scope_of(policy.pii), {e for e, a in actions_of(policy.pii).items() if a == "block"}
        done = await asyncio.gather(*(self._redact_one(policy, part, scope, blocking) for part in parts))
        blocked = sum((d.blocked for d in done), Counter[str]())
        if blocked:
            entity = next(iter(blocked))
            raise BlockedByCheck(
                f"The request was blocked by policy: an image contains {entity} (check pii:{entity}).",
                param=f"pii:{entity}",
                findings=tuple(Finding(FINDINGS_CHECK, kind, "block", n) for kind, n in blocked.items()),
            )
        counts = sum((d.counts for d in done), Counter[str]())
        urls = {(part.message, part.part): d.url for part, d in zip(parts, done, strict=True)}
        assert self._detection is not None and self._work is not None
        version = f"{self._work.ocr.version}; {self._detection.version}"
        return replace(
            scan,
            request=scan.request.with_body(with_urls(scan.request.body, urls)),
            findings=(
                *scan.findings,
                Finding(self.name, "image", "redact", len(parts)),
                *(Finding(FINDINGS_CHECK, kind, "redact", n) for kind, n in sorted(counts.items())),
            ),
            outcomes=(*scan.outcomes, CheckOutcome(self.name, "rewritten" if counts else "passed", version)),
        )

    async def _redact_one(
        self, policy: TenantPolicy, part: ImagePart, scope: DetectionScope, blocking: set[str]
    ) -> _Redacted:
        work, detection = self._require_work(), self._detection
        assert detection is not None
        where = _where(part)
        if part.url is None:
            raise BadRequest(f"'{where}' holds no image URL the gateway can read.", param=where)
        raw = await work.source.load(part.url, policy.routing, where)
        try:
            async with asyncio.timeout(work.ocr_timeout_seconds), self._slots:
                image, source_format, words = await asyncio.to_thread(self._read, raw, where)
        except TimeoutError:
            raise OcrUnavailable("OCR exceeded its time limit") from None
        text = ocr_text(words)
        spans = resolve((await detection.detect([text.text], scope))[0]) if text.text.strip() else []
        painted = [span for span in spans if span.entity not in blocking]
        mime, data = await asyncio.to_thread(
            lambda: encode(paint(image, boxes_to_paint(text, painted)), source_format)
        )
        return _Redacted(
            _data_url(mime, data),
            Counter(span.entity for span in painted),
            Counter(span.entity for span in spans if span.entity in blocking),
        )

    def _read(self, raw: bytes, where: str) -> tuple[Image.Image, str, list[Word]]:
        work = self._require_work()
        image, source_format = open_image(raw, work.limits, where)
        return image, source_format, work.ocr.read(image, work.ocr_timeout_seconds)

    def _failed(self, policy: TenantPolicy, scan: InputScan, cause: Exception) -> InputScan:
        detail = "OCR unavailable" if isinstance(cause, OcrUnavailable) else "PII detection unavailable"
        local_answer = policy.routing.fallback == "local" or policy.routing.residency == "local"
        if not (local_answer and self._reads_images(policy)):
            raise ImageRedactionUnavailable(
                f"Images could not be scanned for personal data ({detail}); the request was not sent.",
                retry_after_seconds=2,
            ) from None
        failed = CheckOutcome(self.name, "failed", f"{detail}; kept on the local model")
        return replace(
            scan,
            outcomes=(*scan.outcomes, failed),
            must_stay_local=(*scan.must_stay_local, REDACTION_UNAVAILABLE),
        )

    def _require_work(self) -> ImageWork:
        if self._work is None:  # a registry built without image support (unit tests of others)
            raise OcrUnavailable("image redaction is not configured")
        return self._work


def _where(part: ImagePart) -> str:
    return f"messages[{part.message}].content[{part.part}]"


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def local_model_reads_images(gateway: GatewayConfig, policy: TenantPolicy) -> bool:
    """The local providers here (llama.cpp with a text-only GGUF, transformers causal LMs) read
    text only; a local model of any other kind is assumed to take image parts as they come."""
    entry = gateway.models.get(policy.routing.local_model)
    if entry is None:
        return False
    return gateway.providers[entry.provider].type not in LOCAL_PROVIDER_TYPES
