"""`PiiCheck` on a request: actions, block, routing reasons, audit form, fail closed."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.checks.base import BlockedByCheck, Finding, InputScan
from gateway.checks.images.check import IMAGES_LOCAL, ImageCheck
from gateway.checks.pii.check import DETECTOR_UNAVAILABLE, PiiCheck
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.detector import Detector
from gateway.checks.pii.hashing import Hasher
from gateway.errors import BadRequest, DetectorUnavailable
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy
from tests.unit.checks.fakes import FailingDetector, LiteralDetector

VALUES = {
    "Jane Smith": "PERSON",
    "jane@example.com": "EMAIL_ADDRESS",
    "415-555-0132": "PHONE_NUMBER",
    "4111 1111 1111 1111": "CREDIT_CARD",
    "078-05-1120": "US_SSN",
    "10.1.2.3": "IP_ADDRESS",
}


def policy(**pii: Any) -> TenantPolicy:
    routing = pii.pop("routing", {})
    entities = {
        "PERSON": "pseudonymize",
        "EMAIL_ADDRESS": "hash",
        "PHONE_NUMBER": "mask",
        "CREDIT_CARD": "local_only",
    }
    return TenantPolicy.model_validate(
        {"tenant": "acme", "api_keys": [], "pii": {"entities": entities, **pii}, "routing": routing}
    )


def chat(*contents: str) -> InputScan:
    messages = [{"role": "system" if i == 0 else "user", "content": c} for i, c in enumerate(contents)]
    return InputScan(
        request=CompletionRequest("chat", "gpt-4o", False, {"model": "gpt-4o", "messages": messages})
    )


async def scanned(scan: InputScan, tenant: TenantPolicy, detector: Detector | None = None) -> InputScan:
    check = PiiCheck(Detection(detector or LiteralDetector(VALUES)), Hasher("test-secret"))
    return await check.scan(tenant, scan)


async def test_every_action_and_one_token_per_value_across_messages() -> None:
    out = await scanned(
        chat(
            "You assist Jane Smith.",
            "I am Jane Smith, jane@example.com, 415-555-0132, card 4111 1111 1111 1111, 10.1.2.3",
        ),
        policy(),
    )
    system, user = (m["content"] for m in out.request.body["messages"])
    assert system == "You assist <PERSON_1>."
    assert user.startswith("I am <PERSON_1>, <EMAIL_ADDRESS:")
    assert ", ********0132, card 4111 1111 1111 1111, <IP_ADDRESS>" in user  # redact is the default
    assert out.must_stay_local == ("pii:CREDIT_CARD",)
    assert dict(out.restoration.pseudonyms) == {"<PERSON_1>": "Jane Smith"}
    assert set(out.findings) == {
        Finding("pii", "PERSON", "pseudonymize", 2),
        Finding("pii", "EMAIL_ADDRESS", "hash", 1),
        Finding("pii", "PHONE_NUMBER", "mask", 1),
        Finding("pii", "CREDIT_CARD", "local_only", 1),
        Finding("pii", "IP_ADDRESS", "redact", 1),
    }
    assert out.content_redacted and out.outcomes[-1].detail == LiteralDetector.version
    assert out.redacted_prompt is not None
    for value in VALUES:
        assert value not in out.redacted_prompt  # the card went to the (local) model, not to the audit
    assert "Jane Smith" not in repr(out)


async def test_block_names_the_entity_and_never_the_value() -> None:
    with pytest.raises(BlockedByCheck) as caught:
        await scanned(chat("hi", "my SSN is 078-05-1120"), policy(entities={"US_SSN": "block"}))
    error = caught.value
    assert (error.status_code, error.code, error.param) == (403, "policy_violation", "pii:US_SSN")
    assert "US_SSN" in error.message and "078" not in error.message
    assert error.findings == (Finding("pii", "US_SSN", "block", 1),)


async def test_nothing_found_passes_unchanged_but_scanned() -> None:
    scan = chat("What is the capital of France?")
    out = await scanned(scan, policy())
    assert out.request.body == scan.request.body and out.findings == ()
    assert out.outcomes[-1].status == "passed" and out.content_redacted


async def test_detector_down_is_503_without_a_local_fallback() -> None:
    with pytest.raises(DetectorUnavailable):
        await scanned(chat("Jane Smith"), policy(), FailingDetector())


async def test_detector_down_keeps_the_request_local_when_the_policy_allows() -> None:
    scan = chat("Jane Smith")
    for routing in ({"fallback": "local"}, {"residency": "local"}):
        out = await scanned(scan, policy(routing=routing), FailingDetector())
        assert out.must_stay_local == (DETECTOR_UNAVAILABLE,)
        assert out.outcomes[-1].status == "failed" and not out.content_redacted
        assert out.redacted_prompt is None and out.request.body == scan.request.body


async def test_completions_prompt_is_scanned() -> None:
    scan = InputScan(request=CompletionRequest("completions", "m", False, {"prompt": ["to Jane Smith", "x"]}))
    out = await scanned(scan, policy())
    assert out.request.body["prompt"] == ["to <PERSON_1>", "x"]


IMAGE_BODY = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}],
}


async def test_images_under_local_only_stay_local_when_the_local_model_reads_them() -> None:
    scan = InputScan(request=CompletionRequest("chat", "gpt-4o", False, IMAGE_BODY))
    out = await ImageCheck(lambda _: True).scan(policy(), scan)
    assert out.must_stay_local == (IMAGES_LOCAL,)
    assert out.findings == (Finding("images", "image", "local_only", 1),)
    with pytest.raises(BadRequest):
        await ImageCheck(lambda _: False).scan(policy(), scan)
    blocking = TenantPolicy.model_validate({"tenant": "t", "api_keys": [], "routing": {"images": "block"}})
    with pytest.raises(BlockedByCheck):
        await ImageCheck(lambda _: True).scan(blocking, scan)
    assert not ImageCheck(lambda _: True).enabled(
        TenantPolicy.model_validate({"tenant": "t", "api_keys": [], "routing": {"images": "allow"}})
    )
