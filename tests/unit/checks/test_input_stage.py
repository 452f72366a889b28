"""The input stage: outcomes per check, and what travels on an error when a check stops it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from gateway.checks.base import BlockedByCheck, CheckContext, CheckOutcome, InputCheck, InputScan
from gateway.checks.input import InputStage
from gateway.checks.pii.check import PiiCheck
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.detector import Span
from gateway.checks.pii.hashing import Hasher
from gateway.checks.pii.scope import DetectionScope
from gateway.checks.texts import texts_of
from gateway.checks.toxicity.config import ToxicityInputConfig
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


# --- PII detection and the registered checks run at the same time ---------------------------


class WaitingDetector(LiteralDetector):
    """Finds its values only once `go` is set: by the registered check, if it runs meanwhile."""

    def __init__(self, values: dict[str, str], go: threading.Event) -> None:
        super().__init__(values)
        self.go = go

    def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        if not self.go.wait(timeout=5):
            raise TimeoutError("the registered check did not run while PII detection did")
        return super().detect(texts, scope)


class RecordingCheck(InputCheck):
    """Stands in for the toxicity check: records the texts it scored; flags `flagged` ones."""

    name = "toxicity"  # type: ignore[misc]
    config_model = ToxicityInputConfig
    version = "recording 1"

    def __init__(self, go: threading.Event | None = None, flagged: str = "", rewrites: bool = False) -> None:
        super().__init__(CheckContext())
        self.go, self.flagged, self.rewrites = go, flagged, rewrites
        self.seen: list[str] = []

    async def scan(self, config: Any, scan: InputScan) -> InputScan:
        if self.go is not None:
            self.go.set()
        self.seen += texts_of(scan.request.endpoint, scan.request.body)
        hit = any(self.flagged and self.flagged in text for text in self.seen)
        if hit and config.blocks:
            error = BlockedByCheck("blocked (check toxicity).", param=self.name, findings=())
            error.outcomes = (CheckOutcome(self.name, "blocked", action="block"),)
            raise error
        outcome = CheckOutcome(
            self.name, "flagged" if hit else "passed", action=config.action, version=self.version
        )
        request = scan.request.with_body(dict(scan.request.body)) if self.rewrites else scan.request
        return replace(scan, request=request, outcomes=(*scan.outcomes, outcome))


def both(detector: LiteralDetector, check: RecordingCheck) -> InputStage:
    return InputStage([PiiCheck(Detection(detector), Hasher("test-secret"))], {"toxicity": check})


def with_toxicity(action: str) -> TenantPolicy:
    policy = tenant().model_dump()
    policy["checks"] = {"input": {"toxicity": {"action": action}}}
    return TenantPolicy.model_validate(policy)


async def test_the_registered_checks_run_while_pii_detection_runs() -> None:
    go = threading.Event()
    detector = WaitingDetector({"Jane Smith": "PERSON"}, go)
    scan = await both(detector, RecordingCheck(go)).scan_input(
        with_toxicity("flag"), request("Jane Smith wrote.")
    )
    assert [(o.check, o.status) for o in scan.outcomes] == [("pii", "rewritten"), ("toxicity", "passed")]


async def test_a_registered_check_scores_what_the_caller_wrote_and_the_request_goes_on_rewritten() -> None:
    check = RecordingCheck(flagged="Jane Smith")
    scan = await both(LiteralDetector({"Jane Smith": "PERSON"}), check).scan_input(
        with_toxicity("flag"), request("Jane Smith wrote.")
    )
    assert check.seen == ["Jane Smith wrote."]
    assert texts_of(scan.request.endpoint, scan.request.body) == ["<PERSON> wrote."]
    assert [(o.check, o.status) for o in scan.outcomes] == [("pii", "rewritten"), ("toxicity", "flagged")]
    assert scan.content_redacted and scan.redacted_prompt is not None and "Jane" not in scan.redacted_prompt


async def test_when_pii_blocks_what_a_later_check_found_is_dropped_as_if_it_had_not_run() -> None:
    check = RecordingCheck(flagged="SSN")
    with pytest.raises(BlockedByCheck) as caught:
        await both(LiteralDetector({"078-05-1120": "US_SSN"}), check).scan_input(
            with_toxicity("flag"), request("my SSN is 078-05-1120")
        )
    assert [(o.check, o.status) for o in caught.value.outcomes] == [("pii", "blocked")]


async def test_a_registered_block_carries_the_pii_outcome_before_its_own() -> None:
    check = RecordingCheck(flagged="wrote")
    with pytest.raises(BlockedByCheck) as caught:
        await both(LiteralDetector({"Jane Smith": "PERSON"}), check).scan_input(
            with_toxicity("block"), request("Jane Smith wrote.")
        )
    outcomes = [(o.check, o.status, o.version) for o in caught.value.outcomes]
    assert outcomes == [("pii", "rewritten", LiteralDetector.version), ("toxicity", "blocked", "recording 1")]


async def test_a_registered_check_that_rewrites_the_request_is_a_bug_not_a_silent_change() -> None:
    stage_ = both(LiteralDetector({}), RecordingCheck(rewrites=True))
    with pytest.raises(RuntimeError, match="rewrote the request"):
        await stage_.scan_input(with_toxicity("flag"), request("hello"))
