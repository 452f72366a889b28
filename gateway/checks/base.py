"""What every check reports. Findings name types and counts, never the matched content."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gateway.exchange import CompletionRequest

CheckStatus = Literal["passed", "flagged", "rewritten", "blocked", "failed"]


@dataclass(frozen=True, slots=True)
class Finding:
    check: str  # "pii", "prompt_injection", ...
    kind: str  # the entity type or category, e.g. "US_SSN"
    action: str  # what the policy did about it
    count: int = 1


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    check: str
    status: CheckStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class InputScan:
    """The input stage's output: the request to forward and what was found on the way."""

    request: CompletionRequest
    findings: tuple[Finding, ...] = ()
    outcomes: tuple[CheckOutcome, ...] = ()
    content_redacted: bool = False  # True once a PII check produced a redacted form
    must_stay_local: tuple[str, ...] = field(default=())  # reasons, e.g. "pii:CREDIT_CARD"
