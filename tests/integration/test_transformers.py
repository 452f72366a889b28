"""A Hugging Face checkpoint as a local model, end to end: the official openai SDK -> the
gateway -> `type: transformers` (a tiny GPT-NeoX built here, loaded from its directory) in its
supervised worker process, which may be killed mid-stream without the gateway noticing more
than that one request."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import yaml

from gateway.checks.pii.detector import Detector
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.integration.test_completions import records
from tests.integration.test_local_worker import ready_worker, the_rest_goes_on_while_it_restarts
from tests.policy_files import sha
from tests.transformers_model import build_checkpoint, need_transformers

pytestmark = pytest.mark.transformers

KEY = "test-key-transformers"
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_transformers()
    return build_checkpoint(tmp_path_factory.mktemp("tiny-neox"))


@pytest.fixture(scope="module")
def endless_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No EOS token and a long context: it writes until `max_new_tokens`, for seconds."""
    need_transformers()
    return build_checkpoint(tmp_path_factory.mktemp("endless-neox"), context=8192, eos=False)


def transformers_gateway(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector, checkpoint: Path, max_new_tokens: int
) -> Iterator[RunningGateway]:
    def add_transformers(policies: Path) -> None:
        config = yaml.safe_load((policies / "gateway.yaml").read_text())
        config["providers"]["hf"] = {
            "type": "transformers",
            "model_path": str(checkpoint),
            "max_new_tokens": max_new_tokens,
            "queue_size": 1,
        }
        config["providers"]["missing"] = {"type": "transformers", "model_path": str(tmp_path / "absent")}
        config["models"]["neox"] = {"provider": "hf", "location": "local"}
        config["models"]["absent"] = {"provider": "missing", "location": "local"}
        (policies / "gateway.yaml").write_text(yaml.safe_dump(config))
        tenant = {
            "tenant": "hf",
            "api_keys": [{"name": "app", "sha256": sha(KEY)}],
            "models": ["neox", "absent", "gpt-4o"],
            "routing": {"local_model": "neox", "residency": "local"},
        }
        (policies / "tenants" / "hf.yaml").write_text(yaml.safe_dump(tenant))

    yield from start_gateway(tmp_path, cloud, sqlite_url, presidio, prepare=add_transformers)


@pytest.fixture
def gateway(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector, checkpoint: Path
) -> Iterator[RunningGateway]:
    yield from transformers_gateway(tmp_path, cloud, sqlite_url, presidio, checkpoint, max_new_tokens=16)


def test_chat_and_stream_through_the_openai_sdk(gateway: RunningGateway, cloud: Cloud) -> None:
    client = gateway.client(KEY)
    before = len(cloud.app.received)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=QUESTION, max_tokens=8, temperature=0
    )  # residency: local sends even a cloud model's request to the checkpoint
    assert raw.headers["x-gateway-route"] == "local"
    answer = raw.parse()
    assert answer.model == "neox" and answer.usage is not None
    assert answer.usage.completion_tokens == 8 and answer.choices[0].finish_reason == "length"
    stream = client.chat.completions.create(
        model="neox",
        messages=QUESTION,
        max_tokens=100,  # over the provider's cap of 16
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 3
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 16
    completion = client.completions.create(model="neox", prompt="The capital of", max_tokens=5)
    assert completion.usage is not None and completion.usage.completion_tokens == 5
    assert len(cloud.app.received) == before  # nothing left the machine
    audited = records(gateway)
    assert [(r.location, r.completion_tokens) for r in audited] == [("local", 8), ("local", 16), ("local", 5)]


def test_missing_model_files_are_a_503_that_says_why(gateway: RunningGateway) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        gateway.client(KEY).chat.completions.create(model="absent", messages=QUESTION)
    assert caught.value.status_code == 503 and caught.value.response.headers["retry-after"]
    message = caught.value.body["message"]  # type: ignore[index]
    assert "the directory does not exist" in message and "local_files_only" in message
    assert "absent" not in message  # no server paths


def test_images_are_a_clear_400_for_a_text_model(gateway: RunningGateway) -> None:
    content = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client(KEY).chat.completions.create(
            model="neox", messages=[{"role": "user", "content": content}]
        )
    assert "cannot read images" in caught.value.body["message"]  # type: ignore[index]


def test_worker_killed_mid_stream(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector, endless_checkpoint: Path
) -> None:
    """SIGKILL the transformers worker while it streams: that stream ends with an in-band error
    and its audit record says `local_model_crashed`; cloud traffic is served meanwhile; the worker
    restarts and answers again."""
    for gateway in transformers_gateway(
        tmp_path, cloud, sqlite_url, presidio, endless_checkpoint, max_new_tokens=6000
    ):
        client = gateway.client(KEY)
        assert client.chat.completions.create(model="neox", messages=QUESTION, max_tokens=2).usage
        pid = ready_worker(gateway, "hf")
        body = {"model": "neox", "messages": QUESTION, "max_tokens": 6000, "temperature": 0, "stream": True}
        with (
            httpx.Client(base_url=gateway.url, timeout=60) as http,
            http.stream(
                "POST", "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}
            ) as response,
        ):
            assert response.status_code == 200
            lines = response.iter_lines()
            assert next(line for line in lines if line.startswith("data: "))  # a first token came
            os.kill(pid, signal.SIGKILL)
            rest = [
                json.loads(line[6:]) for line in lines if line.startswith("data: ") and line != "data: [DONE]"
            ]
        assert len(rest) < 3000  # it ended early, not after the 6000 tokens
        error = rest[-1]["error"]
        assert isinstance(error, dict) and error["code"] == "local_model_crashed"
        record = records(gateway)[-1]
        assert (record.stream, record.outcome, record.error_code) == (True, "error", "local_model_crashed")
        assert record.location == "local"
        the_rest_goes_on_while_it_restarts(gateway, cloud, name="hf", local_key=KEY)
        answer = client.chat.completions.create(model="neox", messages=QUESTION, max_tokens=3)
        assert answer.usage is not None and answer.usage.completion_tokens == 3
