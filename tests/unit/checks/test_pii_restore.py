"""Pseudonym restoration: whole answers, and streams split anywhere."""

from __future__ import annotations

import time

from gateway.checks.pii.restore import Restorer

ORIGINALS = {"<PERSON_1>": "Jane Smith", "<PERSON_2>": "Omar Haddad", "<EMAIL_ADDRESS_1>": "jane@example.com"}
ANSWER = "Dear <PERSON_1>, <PERSON_2> wrote to <EMAIL_ADDRESS_1> about <PERSON_7> and <PERSON 1>."
RESTORED = "Dear Jane Smith, Omar Haddad wrote to jane@example.com about <PERSON_7> and <PERSON 1>."


def test_whole_answer_restores_issued_tokens_and_leaves_others() -> None:
    assert Restorer(ORIGINALS).restore(ANSWER) == RESTORED


def streamed(pieces: list[str]) -> str:
    stream = Restorer(ORIGINALS).stream()
    return "".join([*(stream.feed(piece) for piece in pieces), stream.flush()])


def test_every_split_position_is_restored() -> None:
    for cut in range(1, len(ANSWER)):
        assert streamed([ANSWER[:cut], ANSWER[cut:]]) == RESTORED
    for size in (1, 2, 3, 5, 7):
        pieces = [ANSWER[i : i + size] for i in range(0, len(ANSWER), size)]
        assert streamed(pieces) == RESTORED


def test_holds_back_no_more_than_a_token() -> None:
    stream = Restorer(ORIGINALS).stream()
    longest = max(len(token) for token in ORIGINALS)
    held = 0
    for char in "Hello <EMAIL_ADDRESS_1> there <PERSON_2> and <PERSON_":
        emitted = stream.feed(char)
        held = 0 if emitted else held + 1  # emitted text always ends where the input ends
        assert held <= longest - 1
    assert stream.flush() == "<PERSON_"  # never completed: given back as it was
    assert Restorer(ORIGINALS).stream().feed("no angle bracket here") == "no angle bracket here"


def test_a_held_prefix_that_turns_out_not_to_be_a_token_is_released() -> None:
    stream = Restorer(ORIGINALS).stream()
    assert stream.feed("x <PER") == "x "
    assert stream.feed("HAPS not") == "<PERHAPS not"


def test_restore_per_chunk_costs_well_under_a_fifth_of_a_millisecond() -> None:
    originals = {f"<PERSON_{i}>": f"Person Number{i}" for i in range(1, 21)}
    stream = Restorer(originals).stream()
    chunks = [" word", " <PERS", "ON_3>", " and", " more", " text", "."] * 2000
    start = time.perf_counter()
    for chunk in chunks:
        stream.feed(chunk)
    per_chunk = (time.perf_counter() - start) / len(chunks)
    assert per_chunk < 0.0002
