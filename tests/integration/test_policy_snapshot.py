"""One policy version per request: a reload while a request waits on its provider changes
neither where it falls back to nor the version its audit record names; and the providers a
reload replaces are closed once requests of the old version had time to end."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import yaml

from gateway.providers.worker.provider import WorkerProvider
from tests.integration.conftest import RunningGateway
from tests.integration.test_completions import QUESTION, records
from tests.integration.test_policy_reload import wait_for
from tests.policy_files import DEMO_KEY


def edit_gateway_yaml(gateway: RunningGateway, change: Callable[[dict[str, Any]], object]) -> None:
    path = gateway.policies_dir / "gateway.yaml"
    config = yaml.safe_load(path.read_text())
    change(config)
    path.write_text(yaml.safe_dump(config))


def test_a_reload_mid_request_does_not_change_its_fallback(gateway: RunningGateway) -> None:
    before = gateway.services.policies.current.version
    answers: list[httpx.Response] = []
    body = {"model": "fail-slow", "messages": QUESTION, "max_tokens": 4}  # times out after 2 s
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}
    asking = threading.Thread(
        target=lambda: answers.append(
            httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=headers, timeout=60)
        )
    )
    asking.start()
    time.sleep(0.3)  # the request waits on the cloud now

    def move_local_model(config: dict[str, Any]) -> None:  # the next version serves it elsewhere
        config["providers"]["elsewhere"] = {"type": "llama_cpp", "n_ctx": 512}
        config["models"]["local"]["provider"] = "elsewhere"

    edit_gateway_yaml(gateway, move_local_model)
    wait_for(lambda: gateway.services.policies.current.version != before)
    asking.join(60)
    (answer,) = answers
    # It falls back as its own version says: to the local model where that version has it.
    assert answer.status_code == 200 and answer.headers["x-gateway-route"] == "local"
    record = records(gateway)[-1]
    assert record.policy_version == before and record.route_reasons[-1] == "fallback:local"
    current = gateway.services.policies.current.gateway
    elsewhere = gateway.services.providers.worker(current, "elsewhere")
    assert elsewhere is not None and elsewhere.state == "stopped"  # never asked


def test_a_provider_a_reload_replaces_is_closed(gateway: RunningGateway) -> None:
    services = gateway.services
    services.providers.drain_seconds = 0.2
    client = gateway.client()
    assert client.chat.completions.create(model="local", messages=QUESTION, max_tokens=2).choices
    old = services.providers.worker(services.policies.current.gateway, "local")
    assert isinstance(old, WorkerProvider) and old.state == "ready"
    old_pid = old.worker.pid
    before = services.policies.current.version
    edit_gateway_yaml(gateway, lambda config: config["providers"]["local"].update(n_ctx=768))
    wait_for(lambda: services.policies.current.version != before)
    wait_for(lambda: old.state == "closed", seconds=10)
    assert client.chat.completions.create(model="local", messages=QUESTION, max_tokens=2).choices
    new = services.providers.worker(services.policies.current.gateway, "local")
    assert isinstance(new, WorkerProvider) and new is not old and new.worker.pid != old_pid
