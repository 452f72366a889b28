"""Request validation accepts what the OpenAI API accepts and names the first bad field."""

from __future__ import annotations

import json

import pytest

from gateway.errors import BadRequest
from gateway.parse import parse_request


def test_a_full_chat_request_is_kept_as_sent() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
        "stream": True,
        "temperature": 0.2,
        "stop": ["\n"],
        "tools": [{"type": "function", "function": {"name": "f"}}],
    }
    request = parse_request("chat", json.dumps(body).encode())
    assert (request.model, request.stream, request.body) == ("gpt-4o", True, body)


def test_completions_accept_a_list_of_prompts() -> None:
    assert parse_request("completions", b'{"model": "m", "prompt": ["a", "b"]}').body["prompt"] == ["a", "b"]


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (b"\xff", None),
        (
            b'{"model": "m", "messages": [{"role": "user", "content": [{"text": "no type"}]}]}',
            "messages[0].content[0]",
        ),
        (b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "n": true}', "n"),
        (b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": [1]}', "stop"),
        (b'{"model": "", "messages": [{"role": "user", "content": "x"}]}', "model"),
        # found by fuzzing: an object is unhashable, so `role in ROLES` raised (a 500)
        (b'{"model": "m", "messages": [{"role": {}, "content": "x"}]}', "messages[0].role"),
    ],
)
def test_bad_requests_name_the_field(raw: bytes, param: str | None) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_request("chat", raw)
    assert caught.value.param == param
