"""The one sentence segmenter: both output paths (sentence checks and the PII scan) cut a stream
where a sentence ends; they differ only where a long text has no space to cut at."""

from __future__ import annotations

import pytest

from gateway.checks.sentences import MAX_HELD, Segmenter, sentences


@pytest.mark.parametrize("whole_words", [False, True])
def test_a_stream_is_cut_where_a_sentence_ends_and_titles_stay_with_their_name(whole_words: bool) -> None:
    segmenter = Segmenter(whole_words=whole_words)
    assert segmenter.push("Ask Dr. Jane ") == ""  # "Dr. " ends no sentence
    assert segmenter.push("Smith today. She kno") == "Ask Dr. Jane Smith today. "
    assert segmenter.push("ws.\nMore") == "She knows.\n"
    assert segmenter.flush() == "More" and segmenter.flush() == ""


@pytest.mark.parametrize("whole_words", [False, True])
def test_a_long_text_without_a_sentence_end_is_cut_at_a_space_well_before_its_end(whole_words: bool) -> None:
    segmenter = Segmenter(whole_words=whole_words)
    text = "word " * (MAX_HELD // 5) + "tail-without-space" * 5
    ready = segmenter.push(text)
    assert ready and ready.endswith(" ") and len(text) - len(ready) >= 64
    assert ready + segmenter.flush() == text


def test_with_no_space_at_all_a_sentence_check_lets_the_window_go_but_the_pii_scan_keeps_holding() -> None:
    blob = "x" * (MAX_HELD + 10)
    bounded = Segmenter()
    assert bounded.push(blob) == blob  # a sentence check holds at most a bounded window
    whole = Segmenter(whole_words=True)
    assert whole.push(blob) == ""  # a value is never scanned in halves
    assert whole.push("y" * 100) == ""
    words = " and then some words "
    assert whole.push(words + "z" * 80) == blob + "y" * 100 + words  # cut at the last space
    assert whole.flush() == "z" * 80


def test_sentences_join_back_to_the_text() -> None:
    text = "One sentence. Two sentences!\nA third without end"
    assert sentences(text) == ["One sentence. ", "Two sentences!\n", "A third without end"]
    assert "".join(sentences(text)) == text
