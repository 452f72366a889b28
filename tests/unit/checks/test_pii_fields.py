"""Every text of a request body is read, in a fixed order, and written back in place."""

from __future__ import annotations

import json

from gateway.checks.pii.fields import image_count, rewrite, texts_of

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
        "Jane",
        "Omar",
        "sent to Jane",
    ]
    assert image_count("chat", CHAT) == 1


def test_rewrite_puts_each_text_back_and_leaves_the_original_alone() -> None:
    new = rewrite("chat", CHAT, ["A", "B", "C", "D", "E", "F"])
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
    assert CHAT["messages"][0]["content"] == "You help Jane."  # type: ignore[index]


def test_unchanged_tool_arguments_keep_their_exact_bytes() -> None:
    same = rewrite("chat", CHAT, texts_of("chat", CHAT))
    assert (
        same["messages"][2]["tool_calls"][0]["function"]["arguments"]
        == CHAT["messages"][2]["tool_calls"][0]["function"]["arguments"]
    )  # type: ignore[index]


def test_arguments_that_are_not_json_are_one_text() -> None:
    body = {"messages": [{"role": "assistant", "function_call": {"name": "f", "arguments": "to Jane"}}]}
    assert texts_of("chat", body) == ["to Jane"]


def test_completions_prompt_string_or_list() -> None:
    assert texts_of("completions", {"prompt": "hi Jane"}) == ["hi Jane"]
    assert texts_of("completions", {"prompt": ["a", "b"]}) == ["a", "b"]
    assert rewrite("completions", {"prompt": ["a", "b"]}, ["x", "y"])["prompt"] == ["x", "y"]
    assert image_count("completions", {"prompt": "a"}) == 0
