"""`checks.output.bias`."""

from __future__ import annotations

from typing import Literal

from gateway.checks.config import CheckConfig


class BiasConfig(CheckConfig):
    """Flags answers that ascribe a trait to a demographic group (by gender, ethnicity or
    nationality, religion, age, sexuality, disability): a lexicon and sentence patterns. Flag
    only: the answer is never changed; the flag is in the audit record and, for whole answers,
    in the `x-gateway-flags` response header."""

    action: Literal["flag"] = "flag"
