"""Tool calls and results as text a local chat template takes (what the openai SDK sends after
a tool call: an assistant message with `content: None` and `tool_calls`, then tool messages)."""

from __future__ import annotations

from gateway.providers.local_messages import local_messages

AFTER_A_TOOL_CALL = [
    {"role": "developer", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21 C"},
]


def test_every_message_becomes_role_and_text() -> None:
    rendered = local_messages(AFTER_A_TOOL_CALL)
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in rendered)
    assert [m["role"] for m in rendered] == ["system", "user", "assistant", "user"]
    assert rendered[1]["content"] == "Weather in Paris?"
    assert rendered[2]["content"] == '[tool call get_weather({"city": "Paris"})]'
    assert rendered[3]["content"] == "[tool result call_1]\nsunny, 21 C"


def test_plain_messages_are_unchanged_and_input_is_not_mutated() -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]
    assert local_messages(messages) == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": ""},
    ]
    assert messages[1]["content"] is None
    rendered = local_messages(AFTER_A_TOOL_CALL)
    assert AFTER_A_TOOL_CALL[2]["content"] is None and rendered is not AFTER_A_TOOL_CALL


def test_image_parts_are_left_to_the_provider() -> None:
    parts = [{"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": "x"}}]
    assert local_messages([{"role": "user", "content": parts}]) == [{"role": "user", "content": parts}]
