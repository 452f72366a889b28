"""What every check reports. Findings name types and counts, never the matched content."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gateway.errors import PolicyViolation
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
        self.outcomes: tuple[CheckOutcome, ...] = (CheckOutcome(check, "blocked", param),)

    def after(self, earlier: tuple[CheckOutcome, ...]) -> BlockedByCheck:
        """Prefix the outcomes of the checks that ran before the blocking one."""
        self.outcomes = (*earlier, *self.outcomes)
        return self
