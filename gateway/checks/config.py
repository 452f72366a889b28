"""The base of every check's config model (`checks.input.<name>` / `checks.output.<name>`).

A check's model is typed and closed (`extra=forbid`): a key it does not take is a policy error,
never a silent no-op. Each check narrows `action` to what it really does, from
`block | redact | flag | shadow` (`shadow`: runs and is audited as "would have blocked", never
blocks). These models import nothing of the gateway, so the policy schema can be built from them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal["input", "output"]


class CheckConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: str

    @property
    def blocks(self) -> bool:
        return self.action == "block"

    @property
    def shadow(self) -> bool:
        return self.action == "shadow"


class ClassifierConfig(CheckConfig):
    """A check whose detector scores text in [0, 1]: it acts at `threshold` and above."""

    action: Literal["block", "flag", "shadow"] = "block"
    threshold: float = Field(0.8, ge=0.0, le=1.0, description="act on scores at or above this")
