"""A live gateway picks up a policy edit, and keeps serving on the last good one after a bad edit."""

from __future__ import annotations

import time

import openai
import pytest

from tests.integration.conftest import RunningGateway
from tests.integration.test_completions import QUESTION


def wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_edits_go_live_and_broken_edits_do_not(gateway: RunningGateway) -> None:
    demo = gateway.policies_dir / "tenants" / "demo.yaml"
    original = demo.read_text()
    version = gateway.services.policies.current.version
    demo.write_text(original.replace("- gpt-4o-mini\n", ""))
    wait_for(lambda: gateway.services.policies.current.version != version)
    with pytest.raises(openai.NotFoundError):
        gateway.client().chat.completions.create(model="gpt-4o-mini", messages=QUESTION)

    live = gateway.services.policies.current.version
    demo.write_text("tenant: demo\napi_keys: [\n")
    time.sleep(0.6)  # three reload periods
    assert gateway.services.policies.current.version == live
    assert gateway.client().chat.completions.create(model="gpt-4o", messages=QUESTION).choices
