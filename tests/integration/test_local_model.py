"""The bundled GGUF answers through the gateway, whole and token by token."""

from __future__ import annotations

import httpx

from tests.integration.conftest import RunningGateway
from tests.integration.test_completions import QUESTION, records
from tests.policy_files import DEMO_KEY


def test_local_chat_completion(gateway: RunningGateway) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="local", messages=QUESTION, max_tokens=8, temperature=0
    )
    completion = raw.parse()
    assert raw.headers["x-gateway-route"] == "local"
    assert completion.model == "local"
    assert completion.choices[0].message.content
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 8


def test_local_stream_is_token_by_token(gateway: RunningGateway) -> None:
    chunks = list(
        gateway.client().chat.completions.create(
            model="local", messages=QUESTION, max_tokens=8, temperature=0, stream=True
        )
    )
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) >= 2  # several SSE events, not one buffered answer
    (record,) = records(gateway)
    assert record.stream and record.location == "local" and record.completion_tokens >= 2


def test_local_text_completion(gateway: RunningGateway) -> None:
    completion = gateway.client().completions.create(model="local", prompt="Paris is", max_tokens=4)
    assert completion.choices[0].text


def test_client_leaving_mid_stream_still_leaves_a_record(gateway: RunningGateway) -> None:
    body = {"model": "local", "stream": True, "max_tokens": 400, "messages": QUESTION}
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}
    with (
        httpx.Client(base_url=gateway.url, timeout=30) as client,
        client.stream("POST", "/v1/chat/completions", json=body, headers=headers) as response,
    ):
        assert response.status_code == 200
        next(response.iter_bytes())  # one event, then hang up
    for _ in range(200):
        found = records(gateway)
        if found:
            break
        import time

        time.sleep(0.05)
    (record,) = found
    assert record.outcome == "client_disconnected" and record.stream


def test_tool_call_history_is_answered_locally(gateway: RunningGateway) -> None:
    """What the openai SDK sends after a tool call, on the local model: an answer, not a 500."""
    from tests.unit.providers.test_local_messages import AFTER_A_TOOL_CALL

    completion = gateway.client().chat.completions.create(
        model="local",
        messages=AFTER_A_TOOL_CALL,  # type: ignore[arg-type]
        max_tokens=8,
        temperature=0,
    )
    assert completion.choices[0].message.content is not None
    (record,) = records(gateway)
    assert (record.status_code, record.location) == (200, "local")
