"""The real GGUF in its worker process, through the gateway: when the worker is killed
(SIGKILL, SIGSEGV) mid-stream, mid-answer or between requests, the requests it served end
with 503 or an in-band error (`local_model_crashed`), must-stay-local requests get 503 with
Retry-After until it is back and never reach the cloud, cloud traffic carries on, and /readyz
names the part that is down."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from gateway.providers.worker.provider import WorkerProvider
from tests.integration.conftest import Cloud, RunningGateway
from tests.integration.test_completions import QUESTION, records
from tests.policy_files import DEMO_KEY, LOCAL_KEY

pytestmark = pytest.mark.slow
LONG = {"model": "local", "max_tokens": 400, "temperature": 0, "messages": QUESTION}


def local_worker(gateway: RunningGateway, name: str = "local") -> WorkerProvider:
    services = gateway.services
    provider = services.providers.worker(services.policies.current.gateway, name)
    assert provider is not None
    return provider


def ready_worker(gateway: RunningGateway, name: str = "local") -> int:
    provider = local_worker(gateway, name)
    wait_until(lambda: provider.state == "ready", "the local model worker to be ready")
    assert provider.worker.pid is not None
    return provider.worker.pid


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def post(gateway: RunningGateway, body: dict[str, object], key: str = DEMO_KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=headers, timeout=60)


def warm(gateway: RunningGateway) -> int:
    assert post(gateway, {**LONG, "max_tokens": 2}).status_code == 200  # starts and loads the worker
    return ready_worker(gateway)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSEGV])
def test_worker_killed_mid_stream(gateway: RunningGateway, cloud: Cloud, how: signal.Signals) -> None:
    pid = warm(gateway)
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}
    with (
        httpx.Client(base_url=gateway.url, timeout=60) as client,
        client.stream(
            "POST", "/v1/chat/completions", json={**LONG, "stream": True}, headers=headers
        ) as response,
    ):
        assert response.status_code == 200
        lines = response.iter_lines()
        assert next(line for line in lines if line.startswith("data: "))  # a first token came
        os.kill(pid, how)
        rest = [
            json.loads(line[6:]) for line in lines if line.startswith("data: ") and line != "data: [DONE]"
        ]
    error = rest[-1]["error"]
    assert isinstance(error, dict) and error["code"] == "local_model_crashed"
    assert "Jane" not in json.dumps(error)
    record = records(gateway)[-1]
    assert (record.stream, record.outcome, record.error_code) == (True, "error", "local_model_crashed")
    the_rest_goes_on_while_it_restarts(gateway, cloud)


def test_worker_killed_mid_answer(gateway: RunningGateway, cloud: Cloud) -> None:
    pid = warm(gateway)
    answers: list[httpx.Response] = []
    asking = threading.Thread(target=lambda: answers.append(post(gateway, LONG)))
    asking.start()
    time.sleep(0.5)  # 400 tokens take seconds: it is generating now
    os.kill(pid, signal.SIGKILL)
    asking.join(60)
    (answer,) = answers
    assert answer.status_code == 503 and int(answer.headers["retry-after"]) >= 1
    assert answer.json()["error"]["code"] == "local_model_crashed"
    record = records(gateway)[-1]
    assert (record.status_code, record.error_code, record.location) == (503, "local_model_crashed", "local")
    the_rest_goes_on_while_it_restarts(gateway, cloud)


def test_worker_segfaulting_between_requests(gateway: RunningGateway, cloud: Cloud) -> None:
    pid = warm(gateway)
    os.kill(pid, signal.SIGSEGV)
    wait_until(lambda: local_worker(gateway).state == "restarting", "the crash to be noticed")
    the_rest_goes_on_while_it_restarts(gateway, cloud)


def the_rest_goes_on_while_it_restarts(
    gateway: RunningGateway, cloud: Cloud, name: str = "local", local_key: str = LOCAL_KEY
) -> None:
    """Straight after a crash of worker `name`: local traffic (`local_key`: a tenant whose
    residency is local and whose local model it serves) is refused with Retry-After, never sent
    to the cloud; cloud traffic is served; /readyz names the worker; then the worker is back."""
    received = len(cloud.app.received)
    must_stay_local = post(gateway, {"model": "gpt-4o", "messages": QUESTION}, key=local_key)  # residency
    assert must_stay_local.status_code == 503 and int(must_stay_local.headers["retry-after"]) >= 1
    assert must_stay_local.json()["error"]["code"] == "local_model_unavailable"
    assert len(cloud.app.received) == received  # no fallback to the cloud, ever
    ready = httpx.get(gateway.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert ready.json()["parts"][f"local_model:{name}"] == "restarting"
    assert ready.json()["parts"]["database"] == "ok" and ready.json()["down"] == [f"local_model:{name}"]
    cloud_answer = post(gateway, {"model": "gpt-4o", "messages": QUESTION})
    assert cloud_answer.status_code == 200 and cloud_answer.headers["x-gateway-route"] == "cloud"
    ready_worker(gateway, name)
    again = post(gateway, {"model": "gpt-4o", "messages": QUESTION, "max_tokens": 4}, key=local_key)
    assert again.status_code == 200 and again.headers["x-gateway-route"] == "local"
    assert len(cloud.app.received) == received + 1  # only the cloud request above
    assert httpx.get(gateway.url + "/readyz").json()["status"] == "ready"
