"""`ImageCheck` under each `routing.images` mode, with scripted OCR and a literal detector."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.checks.base import BlockedByCheck, Finding, InputScan
from gateway.checks.images.check import REDACTION_UNAVAILABLE, ImageCheck, ImageWork
from gateway.checks.images.decode import ImageLimits
from gateway.checks.images.ocr import Ocr, Word
from gateway.checks.images.source import FetchLimits, ImageSource
from gateway.checks.pii.detection import Detection
from gateway.errors import BadRequest, ImageRedactionUnavailable, PayloadTooLarge
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy
from tests.images import data_url, drawn, image_from_url, png
from tests.unit.checks.fakes import FailingDetector, LiteralDetector
from tests.unit.checks.images.fakes import BrokenOcr, ScriptedOcr

LIMITS = ImageLimits(max_bytes=1_000_000, max_pixels=2_000_000)
WORDS = [
    Word("Name:", (10, 10, 90, 40), (1, 1, 1)),
    Word("Jane", (100, 10, 160, 40), (1, 1, 1)),
    Word("Smith", (170, 10, 240, 40), (1, 1, 1)),
    Word("SSN", (10, 60, 60, 90), (1, 1, 2)),
    Word("078-05-1120", (70, 60, 250, 90), (1, 1, 2)),
]
DETECTOR = LiteralDetector({"Jane Smith": "PERSON", "078-05-1120": "US_SSN", "jane@x.org": "EMAIL_ADDRESS"})


def policy(**routing: Any) -> TenantPolicy:
    pii = {"entities": {"PERSON": "pseudonymize", "US_SSN": routing.pop("ssn", "redact")}}
    return TenantPolicy.model_validate(
        {"tenant": "acme", "api_keys": [], "pii": pii, "routing": {"images": "redact", **routing}}
    )


def check(ocr: Ocr | None = None, detector: Any = DETECTOR, reads_images: bool = False) -> ImageCheck:
    work = ImageWork(
        ocr=ocr or ScriptedOcr(WORDS),
        source=ImageSource(LIMITS, FetchLimits(timeout_seconds=1.0, max_redirects=1)),
        limits=LIMITS,
        ocr_timeout_seconds=2.0,
        concurrency=2,
    )
    return ImageCheck(lambda _: reads_images, Detection(detector), work)


def request(*urls: str, text: str = "What does this say?") -> InputScan:
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": url, "detail": "low"}} for url in urls]
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": parts}]}
    return InputScan(request=CompletionRequest("chat", "gpt-4o", False, body))


BLANK = data_url(png(drawn([], size=(300, 120))))


async def test_pii_words_are_painted_and_the_rest_goes_on_untouched() -> None:
    out = await check().scan(policy(), request(BLANK))
    part = out.request.body["messages"][0]["content"][1]
    assert part["image_url"]["detail"] == "low" and part["image_url"]["url"] != BLANK
    image = image_from_url(part["image_url"]["url"]).convert("RGB")
    for word in WORDS:
        middle = ((word.box[0] + word.box[2]) // 2, (word.box[1] + word.box[3]) // 2)
        painted = word.text in ("Jane", "Smith", "078-05-1120")
        assert image.getpixel(middle) == ((0, 0, 0) if painted else (255, 255, 255)), word.text
    assert out.request.body["messages"][0]["content"][0] == {"type": "text", "text": "What does this say?"}
    assert out.findings == (
        Finding("images", "image", "redact", 1),
        Finding("image_pii", "PERSON", "redact", 1),
        Finding("image_pii", "US_SSN", "redact", 1),
    )
    assert out.outcomes[0].status == "rewritten" and "scripted-ocr" in out.outcomes[0].detail
    assert out.must_stay_local == ()


async def test_an_image_without_pii_passes_re_encoded() -> None:
    out = await check(ScriptedOcr([Word("Hello", (1, 1, 20, 20), (1, 1, 1))])).scan(policy(), request(BLANK))
    assert out.outcomes[0].status == "passed"
    assert out.findings == (Finding("images", "image", "redact", 1),)


async def test_a_type_the_policy_blocks_blocks_the_request_naming_only_the_type() -> None:
    with pytest.raises(BlockedByCheck) as caught:
        await check().scan(policy(ssn="block"), request(BLANK, BLANK))
    assert caught.value.param == "pii:US_SSN" and "078" not in caught.value.message
    assert caught.value.findings == (Finding("image_pii", "US_SSN", "block", 2),)


async def test_ocr_that_cannot_run_fails_closed() -> None:
    with pytest.raises(ImageRedactionUnavailable) as caught:
        await check(BrokenOcr()).scan(policy(fallback="local"), request(BLANK))
    assert caught.value.status_code == 503 and caught.value.retry_after_seconds
    # a local model that reads images may answer instead, when the policy allows a local answer
    out = await check(BrokenOcr(), reads_images=True).scan(policy(fallback="local"), request(BLANK))
    assert out.must_stay_local == (REDACTION_UNAVAILABLE,) and out.outcomes[0].status == "failed"
    with pytest.raises(ImageRedactionUnavailable):
        await check(BrokenOcr(), reads_images=True).scan(policy(), request(BLANK))


async def test_detection_that_cannot_run_fails_closed() -> None:
    with pytest.raises(ImageRedactionUnavailable):
        await check(detector=FailingDetector()).scan(policy(), request(BLANK))


async def test_remote_urls_are_refused_unless_the_policy_allows_their_origin() -> None:
    ocr = ScriptedOcr(WORDS)
    for url in ("https://images.example.com/a.png", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(BadRequest) as caught:
            await check(ocr).scan(policy(), request(url))
        assert caught.value.code == "image_url_not_allowed"
        assert "server-side request forgery" in caught.value.message
    allowed_elsewhere = policy(images_fetch="allow", images_fetch_hosts=["https://cdn.example.com"])
    with pytest.raises(BadRequest):
        await check(ocr).scan(allowed_elsewhere, request("https://images.example.com/a.png"))
    with pytest.raises(BadRequest):
        await check(ocr).scan(policy(), request("file:///etc/passwd"))
    assert ocr.calls == 0


async def test_oversized_and_malformed_images_are_413_and_400() -> None:
    huge = data_url(png(drawn([], size=(2000, 1200))))  # 2.4 Mpx, over the 2 Mpx limit
    with pytest.raises(PayloadTooLarge):
        await check().scan(policy(), request(huge))
    with pytest.raises(BadRequest) as caught:
        await check().scan(policy(), request(BLANK[:-5]))
    assert caught.value.status_code == 400
    with pytest.raises(BadRequest):
        await check().scan(policy(), request(data_url(b"GIF89a but not really")))


async def test_local_only_and_block_modes_are_unchanged() -> None:
    out = await check(reads_images=True).scan(policy(images="local_only"), request(BLANK))
    assert out.findings == (Finding("images", "image", "local_only", 1),)
    with pytest.raises(BadRequest) as caught:  # a remote URL under local_only: the same SSRF rule
        await check(reads_images=True).scan(policy(images="local_only"), request("https://x.example/a.png"))
    assert caught.value.code == "image_url_not_allowed"
    with pytest.raises(BlockedByCheck):
        await check().scan(policy(images="block"), request(BLANK))
