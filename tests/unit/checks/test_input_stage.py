"""The input stage: outcomes per check, and what travels on an error when a check stops it."""

from __future__ import annotations

import pytest

from gateway.checks.base import BlockedByCheck
from gateway.checks.input import InputStage
from gateway.checks.pii.check import PiiCheck
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.hashing import Hasher
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy
from tests.unit.checks.fakes import LiteralDetector


def request(text: str) -> CompletionRequest:
    return CompletionRequest(
        "chat", "gpt-4o", False, {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
    )


def stage() -> InputStage:
    detector = LiteralDetector({"Jane Smith": "PERSON", "078-05-1120": "US_SSN"})
    return InputStage([PiiCheck(Detection(detector), Hasher("test-secret"))])


def tenant() -> TenantPolicy:
    return TenantPolicy.model_validate(
        {"tenant": "acme", "api_keys": [], "pii": {"entities": {"US_SSN": "block", "PERSON": "redact"}}}
    )


async def test_a_check_that_rewrote_says_so_with_types_and_counts_and_its_version() -> None:
    scan = await stage().scan_input(tenant(), request("Jane Smith wrote."))
    (pii,) = [o.as_audit() for o in scan.outcomes]
    assert pii["status"] == "rewritten" and pii["types"] == {"PERSON": 1}
    assert pii["version"] == LiteralDetector.version
    assert "Jane" not in repr(scan.outcomes)


async def test_a_block_carries_the_blocking_checks_outcome_to_the_audit() -> None:
    with pytest.raises(BlockedByCheck) as caught:
        await stage().scan_input(tenant(), request("my SSN is 078-05-1120"))
    (blocked,) = caught.value.outcomes
    assert (blocked.check, blocked.status, blocked.types) == ("pii", "blocked", (("US_SSN", 1),))
