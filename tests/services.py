"""What a test needs from the machine: a missing service skips a developer's run and fails CI's.

A skip in CI would hide a missing install step (`.ci/run` installs or starts every service the
suite needs and stops if it cannot), so under `CI=true` a missing service is a failure.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(available: bool, what: str) -> None:
    """Skip (developer machine) or fail (CI) the calling test when `what` is not available."""
    if available:
        return
    if in_ci():
        pytest.fail(f"CI needs {what}, and it is missing: .ci/run should have installed or started it")
    pytest.skip(f"needs {what}")
