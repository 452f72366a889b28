"""`checks.input.prompt_injection`."""

from __future__ import annotations

from pydantic import Field

from gateway.checks.config import ClassifierConfig


class InjectionConfig(ClassifierConfig):
    """Scores every text the request carries (each message, tool results, pasted documents,
    tool-call arguments) for prompt injection and jailbreaks; acts when one scores `threshold`
    or more. The default is the operating point chosen on the validation splits (at most 0.7 %
    false positives on each corpus's benign rows, a margin under the 1 % floor on test); lower
    blocks more, higher lets more through."""

    threshold: float = Field(0.818, ge=0.0, le=1.0, description="act on scores at or above this")
