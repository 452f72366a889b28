"""What every check is and reports. Findings and outcomes name types and counts, never content.

InputCheck    a registered input check (`checks.input.<name>`), built once per process
OutputCheck   a registered output check (`checks.output.<name>`): one guard per request
CheckOutcome  what one check did to one request, as the audit record stores it
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from gateway.checks.config import CheckConfig, Stage
from gateway.errors import PolicyViolation
from gateway.exchange import CompletionRequest

if TYPE_CHECKING:
    from gateway.checks.output import OutputGuard
    from gateway.checks.pii.detection import Detection
    from gateway.policy.schema import TenantPolicy

# passed: ran, nothing to act on; flagged: found something, let it through (flag, shadow);
# rewritten: changed the text (redact, pseudonymize...); blocked: refused the request or answer;
# failed: could not run (error, timeout, model missing); skipped: not enabled by the policy.
CheckStatus = Literal["passed", "flagged", "rewritten", "blocked", "failed", "skipped"]


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
    detail: str = ""  # a short reason in the gateway's words, never the content
    stage: Stage = "input"
    action: str = ""  # what the policy asked for: block, redact, flag, shadow, ...
    version: str = ""  # the detector's version
    score: float | None = None  # the highest score seen; stored only as its bucket
    types: tuple[tuple[str, int], ...] = ()  # what was found, by type, with counts
    would_block: bool = False  # `action: shadow` and the check would have blocked

    def as_audit(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "stage": self.stage,
            "status": self.status,
            "action": self.action,
            "version": self.version,
            "score_bucket": score_bucket(self.score),
            "types": dict(self.types),
            "would_block": self.would_block,
            "detail": self.detail,
        }


def score_bucket(score: float | None) -> str | None:
    """A score as the audit keeps it: its tenth ("0.8-0.9"), so records carry no fine signal."""
    if score is None:
        return None
    low = min(9, max(0, math.floor(score * 10)))
    return f"{low / 10:.1f}-{(low + 1) / 10:.1f}"


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may use to build itself: the process environment (its settings) and the
    PII detection the gateway already runs, for checks that scan for PII."""

    environ: Mapping[str, str] = field(default_factory=dict)
    pii_detection: Detection | None = None


class RegisteredCheck(ABC):
    """What every registered check has, on either stage: its policy name, its config model,
    its detector's version (in every outcome), the shared context, and a `close`."""

    name: ClassVar[str]
    config_model: ClassVar[type[CheckConfig]]
    version: str = "unknown"

    def __init__(self, context: CheckContext) -> None:
        self.context = context

    def close(self) -> None:  # noqa: B027  (most checks hold nothing to release)
        """Release workers or models; the check is not used afterwards."""


class InputCheck(RegisteredCheck):
    """A registered input check. `scan` reads the request's texts (`gateway.checks.texts`)
    and returns the next scan with its outcome appended; it blocks by raising `BlockedByCheck`
    and signals that it could not run by raising `CheckUnavailable` (the input stage then
    fails closed)."""

    @abstractmethod
    async def scan(self, config: Any, scan: InputScan) -> InputScan: ...


class OutputCheck(RegisteredCheck):
    """A registered output check: a guard per request in the output chain."""

    @abstractmethod
    def guard(self, config: Any, policy: TenantPolicy, scan: InputScan) -> OutputGuard: ...


@dataclass(frozen=True, slots=True)
class Restoration:
    """What the output stage needs to give the caller its own values back.

    It holds personal data, in memory only, for the life of one request: it is never audited,
    logged or traced, and it is left out of every `repr` so that an accidental log line or an
    exception report cannot carry it.
    """

    pseudonyms: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (token, original)
    supplied: str = field(default="", repr=False)  # all text the caller sent, as it sent it

    def originals(self) -> dict[str, str]:
        return dict(self.pseudonyms)


@dataclass(frozen=True, slots=True)
class InputScan:
    """The input stage's output: the request to forward and what was found on the way."""

    request: CompletionRequest
    findings: tuple[Finding, ...] = ()
    outcomes: tuple[CheckOutcome, ...] = ()
    content_redacted: bool = False  # True once a PII check produced a redacted form
    must_stay_local: tuple[str, ...] = field(default=())  # reasons, e.g. "pii:CREDIT_CARD"
    # The prompt as it may be audited. The forwarded request can still carry values the policy
    # lets through (`local_only`, `allow`), so the audit gets its own fully redacted form.
    redacted_prompt: str | None = None
    restoration: Restoration = field(default_factory=Restoration, repr=False)


class BlockedByCheck(PolicyViolation):
    """A 403 raised by an input check; it carries the findings (types and counts, no values)
    and the outcomes of the checks that ran, so that the audit record of a blocked request
    still says what was found and which checks ran (the blocking one as `blocked`)."""

    def __init__(self, message: str, *, param: str, findings: tuple[Finding, ...]) -> None:
        super().__init__(message, param=param)
        self.findings = findings
        check = findings[0].check if findings else param.partition(":")[0]
        types = tuple((finding.kind, finding.count) for finding in findings)
        self.outcomes = (CheckOutcome(check, "blocked", param, types=types),)
