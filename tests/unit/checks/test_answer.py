"""`ChoiceTexts`, the one loop over a stream chunk's choices that rewriting guards run: each
choice's text in, the guard's text out, and the chunk kept only while it still says something."""

from __future__ import annotations

from gateway.checks.answer import ChoiceTexts
from gateway.exchange import JsonObject


def chunk(*choices: JsonObject) -> JsonObject:
    return {"id": "c1", "object": "chat.completion.chunk", "choices": list(choices)}


def test_each_choice_text_is_read_and_replaced_by_what_the_guard_lets_through() -> None:
    body = chunk({"index": 0, "delta": {"content": "ab"}}, {"index": 1, "delta": {"content": "cd"}})
    texts = ChoiceTexts("chat", body)
    seen = []
    for index, choice, piece in texts:
        seen.append((index, piece))
        texts.put(choice, piece, (piece or "").upper())
    assert seen == [(0, "ab"), (1, "cd")]
    assert texts.passed() == [body] and [c["delta"]["content"] for c in body["choices"]] == ["AB", "CD"]


def test_a_chunk_whose_text_is_all_held_back_is_dropped_unless_it_says_more() -> None:
    held = chunk({"index": 0, "delta": {"content": "ab"}})
    texts = ChoiceTexts("chat", held)
    for _, choice, piece in texts:
        texts.put(choice, piece, "")
    assert texts.passed() == [] and held["choices"][0]["delta"]["content"] == ""
    finished = chunk({"index": 0, "delta": {}, "finish_reason": "stop"})  # no text, but the end
    texts = ChoiceTexts("chat", finished)
    for _, choice, piece in texts:
        assert piece is None
        texts.put(choice, piece, "")
    assert texts.passed() == [finished] and "content" not in finished["choices"][0]["delta"]


def test_a_chunk_without_choices_passes_as_it_is_and_completions_read_their_text_field() -> None:
    usage = {"id": "c1", "choices": [], "usage": {"total_tokens": 3}}
    texts = ChoiceTexts("chat", usage)
    assert list(texts) == [] and texts.passed() == [usage]
    body = {"choices": [{"index": 2, "text": "hi"}]}
    texts = ChoiceTexts("completions", body)
    for index, choice, piece in texts:
        assert (index, piece) == (2, "hi")
        texts.put(choice, piece, "HI")
    assert texts.passed() == [body] and body["choices"][0]["text"] == "HI"
