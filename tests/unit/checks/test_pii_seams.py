"""Values split across two texts of one request, with the real detector behind the real check."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.checks.base import BlockedByCheck, InputScan
from gateway.checks.pii.check import PiiCheck
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.hashing import Hasher
from gateway.checks.pii.seams import seams_of
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy


def tenant(**entities: str) -> TenantPolicy:
    return TenantPolicy.model_validate({"tenant": "t", "api_keys": [], "pii": {"entities": entities}})


def chat(*contents: str) -> InputScan:
    messages = [{"role": "user", "content": c} for c in contents]
    return InputScan(
        request=CompletionRequest("chat", "gpt-4o", False, {"model": "gpt-4o", "messages": messages})
    )


async def scanned(presidio: PresidioDetector, scan: InputScan, policy: TenantPolicy) -> Any:
    return await PiiCheck(Detection(presidio), Hasher("test-secret")).scan(policy, scan)


@pytest.mark.parametrize(
    "halves",
    [
        ("my card is 4111 1111", "1111 1111"),
        ("card 4111 1111 1111", "1111, expires 09/27"),
        ("card 4111\u200b1111", "1111\u200b1111 thanks"),
        ("4111-1111-", "1111-1111"),
    ],
)
async def test_a_card_split_across_messages_keeps_the_request_local(
    presidio: PresidioDetector, halves: tuple[str, str]
) -> None:
    out = await scanned(presidio, chat(*halves), tenant(CREDIT_CARD="local_only"))
    assert "pii:CREDIT_CARD" in out.must_stay_local
    redacted = await scanned(presidio, chat(*halves), tenant(CREDIT_CARD="redact"))
    first, second = (m["content"] for m in redacted.request.body["messages"])
    assert "1111" not in first and "1111" not in second, (first, second)


@pytest.mark.parametrize(
    "halves",
    [("my SSN is 536-22", "-8127"), ("SSN 536", "22 8127"), ("IBAN ES91 2100 0418", "4502 0005 1332")],
)
async def test_ssn_and_iban_split_across_messages(
    presidio: PresidioDetector, halves: tuple[str, str]
) -> None:
    policy = tenant(US_SSN="block", IBAN_CODE="block")
    with pytest.raises(BlockedByCheck):
        await scanned(presidio, chat(*halves), policy)


async def test_numbers_that_only_touch_at_a_join_are_left_alone(presidio: PresidioDetector) -> None:
    scan = chat("I ordered 12", "3 boxes of 40 pens")
    out = await scanned(presidio, scan, tenant(CREDIT_CARD="block", US_SSN="block"))
    assert out.request.body == scan.request.body and out.findings == ()


def test_only_joins_with_digits_on_both_sides_are_analysed() -> None:
    assert seams_of(["hello there", "4111 1111"]) == []
    assert seams_of(["card 4111", "", "1111 1111 1111"])[0].right == 2  # empty texts are skipped
