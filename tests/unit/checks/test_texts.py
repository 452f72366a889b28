"""Every text of a request body is read, in a fixed order, and written back in place."""

from __future__ import annotations

import json

from gateway.checks.texts import image_count, rewrite, texts_of, unknown_fields, unscannable_parts

CHAT = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You help Jane."},
        {
            "role": "user",
            "name": "jane_smith",
            "content": [
                {"type": "text", "text": "Mail jane@example.com"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "send", "arguments": '{"to": "Jane", "n": 2, "cc": ["Omar"]}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sent to Jane"},
    ],
}


def test_chat_texts_cover_content_parts_names_and_tool_arguments() -> None:
    assert texts_of("chat", CHAT) == [
        "You help Jane.",
        "Mail jane@example.com",
        "jane_smith",
        "c1",  # the tool call's id
        "send",  # its function's name
        "Jane",
        "Omar",
        "sent to Jane",
        "c1",  # the tool message's tool_call_id
    ]
    assert image_count("chat", CHAT) == 1


def test_rewrite_puts_each_text_back_and_leaves_the_original_alone() -> None:
    new = rewrite("chat", CHAT, ["A", "B", "C", "c1", "send", "D", "E", "F", "c1"])
    assert new["messages"][0]["content"] == "A"
    assert new["messages"][1]["content"][0]["text"] == "B"
    assert new["messages"][1]["content"][1] == CHAT["messages"][1]["content"][1]  # type: ignore[index]
    assert new["messages"][1]["name"] == "C"
    assert json.loads(new["messages"][2]["tool_calls"][0]["function"]["arguments"]) == {
        "to": "D",
        "n": 2,
        "cc": ["E"],
    }
    assert new["messages"][3]["content"] == "F"
    assert new["model"] == "gpt-4o"
    assert CHAT["messages"][0]["content"] == "You help Jane."  # type: ignore[index]


def test_unchanged_tool_arguments_keep_their_exact_bytes() -> None:
    same = rewrite("chat", CHAT, texts_of("chat", CHAT))
    assert (
        same["messages"][2]["tool_calls"][0]["function"]["arguments"]
        == CHAT["messages"][2]["tool_calls"][0]["function"]["arguments"]
    )  # type: ignore[index]


def test_arguments_that_are_not_json_are_one_text() -> None:
    body = {"messages": [{"role": "assistant", "function_call": {"name": "f", "arguments": "to Jane"}}]}
    assert texts_of("chat", body) == ["f", "to Jane"]


def test_completions_prompt_string_or_list() -> None:
    assert texts_of("completions", {"prompt": "hi Jane"}) == ["hi Jane"]
    assert texts_of("completions", {"prompt": ["a", "b"]}) == ["a", "b"]
    assert rewrite("completions", {"prompt": ["a", "b"]}, ["x", "y"])["prompt"] == ["x", "y"]
    assert image_count("completions", {"prompt": "a"}) == 0


SSN = "536-22-8127"
EVERY_FIELD = {
    "model": "gpt-4o",
    "messages": [
        {"role": "user", "content": "hi", "metadata": {"ssn": SSN}, "refusal": f"r {SSN}"},
        {"role": "tool", "tool_call_id": f"id {SSN}", "content": "ok"},
    ],
    "user": SSN,
    "stop": [SSN, "END"],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "f",
                "description": f"SSN {SSN}",
                "parameters": {"type": "object", "properties": {SSN: {"type": "string", "enum": [SSN]}}},
            },
        }
    ],
    "functions": [{"name": "g", "description": f"SSN {SSN}"}],
    "tool_choice": {"type": "function", "function": {"name": SSN}},
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "x", "description": SSN, "schema": {"description": f"SSN {SSN}"}},
    },
    "metadata": {SSN: SSN},
    "prediction": {"type": "content", "content": SSN},
    "temperature": 0.2,
    "max_tokens": 5,
}


def test_every_string_the_provider_sees_is_a_text_and_nothing_else_keeps_the_value() -> None:
    texts = texts_of("chat", EVERY_FIELD)
    assert sum(SSN in text for text in texts) == 14  # all but the dropped message metadata
    redacted = rewrite("chat", EVERY_FIELD, [text.replace(SSN, "<US_SSN>") for text in texts])
    assert SSN not in json.dumps(redacted)
    assert "metadata" not in redacted["messages"][0]  # a key no message has: dropped
    assert redacted["model"] == "gpt-4o" and redacted["temperature"] == 0.2 and redacted["max_tokens"] == 5
    assert redacted["tools"][0]["function"]["parameters"]["properties"] == {
        "<US_SSN>": {"type": "string", "enum": ["<US_SSN>"]}
    }
    assert "model" not in texts and "gpt-4o" not in texts


def test_completions_suffix_is_a_text() -> None:
    body = {"model": "m", "prompt": "def f():", "suffix": f"# {SSN}"}
    assert texts_of("completions", body) == ["def f():", f"# {SSN}"]
    assert rewrite("completions", body, ["a", "b"]) == {"model": "m", "prompt": "a", "suffix": "b"}


def test_unknown_fields_and_unscannable_parts_are_named() -> None:
    assert unknown_fields("chat", {"model": "m", "messages": [], "user": "u", "x_trace": 1}) == ["x_trace"]
    assert unknown_fields("completions", {"model": "m", "prompt": "p", "suffix": "s", "tools": []}) == [
        "tools"
    ]
    audio = {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}
    assert unscannable_parts("chat", audio) == ["input_audio"]
    assert unscannable_parts("chat", CHAT) == []
