"""`checks.output.pii`: what to do with PII the model produced on its own."""

from __future__ import annotations

from typing import Literal

from gateway.checks.config import CheckConfig


class PiiOutputConfig(CheckConfig):
    """`redact` replaces each value with its type (`<PERSON>`); `flag` lets it through and
    records it; `block` withholds the answer (403, or an in-band error mid-stream); `shadow`
    lets it through and records that it would have blocked."""

    action: Literal["redact", "flag", "block", "shadow"] = "redact"
