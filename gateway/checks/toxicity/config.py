"""`checks.input.toxicity` and `checks.output.toxicity`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gateway.checks.config import CheckConfig, ClassifierConfig


class ToxicityInputConfig(ClassifierConfig):
    """Scores every text the request carries; acts when one scores `threshold` or more."""

    threshold: float = Field(0.9, ge=0.0, le=1.0, description="act on scores at or above this")


class ToxicityOutputConfig(CheckConfig):
    """Scores each finished sentence of the answer. `redact` replaces an offending sentence with
    `[removed: toxicity]`; `block` withholds the answer (403, or an in-band error that ends a
    stream); `flag` and `shadow` let it through and record it."""

    action: Literal["redact", "block", "flag", "shadow"] = "redact"
    threshold: float = Field(0.9, ge=0.0, le=1.0, description="act on scores at or above this")
