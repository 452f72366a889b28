"""Pseudonym restoration, whole or stream-safe.

A token the model copied exactly (`<PERSON_1>`) becomes the caller's value again. A token the
request never issued (`<PERSON_7>`) or one the model mangled (`<PERSON 1>`, `PERSON_1`) is left
as it is: guessing would put a value where the caller cannot tell it was guessed.

In a stream a token may be split across chunks (`"<PER"`, `"SON_1> said"`). `StreamRestorer`
holds back only a tail that is a proper prefix of an issued token, so it never holds more than
the longest token less one character, and text without `<` passes straight through.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")


class Restorer:
    def __init__(self, originals: dict[str, str]) -> None:
        self._originals = originals
        self._prefixes = frozenset(token[:end] for token in originals for end in range(1, len(token)))

    @property
    def active(self) -> bool:
        return bool(self._originals)

    def restore(self, text: str) -> str:
        if "<" not in text or not self._originals:
            return text
        return TOKEN.sub(lambda match: self._originals.get(match.group(0), match.group(0)), text)

    def restore_pieces(self, text: str) -> list[tuple[str, str | None]]:
        """`restore` as pieces: (text, None) and (original value, its entity type) per token."""
        pieces: list[tuple[str, str | None]] = []
        position = 0
        for match in TOKEN.finditer(text):
            original = self._originals.get(match.group(0))
            if original is None:
                continue
            entity = match.group(0)[1:].rsplit("_", 1)[0]  # <EMPLOYEE_ID_2> -> EMPLOYEE_ID
            pieces += [(text[position : match.start()], None), (original, entity)]
            position = match.end()
        pieces.append((text[position:], None))
        return pieces

    def is_partial(self, tail: str) -> bool:
        return tail in self._prefixes

    def stream(self) -> StreamRestorer:
        return StreamRestorer(self)


class StreamRestorer:
    def __init__(self, restorer: Restorer) -> None:
        self.restorer = restorer
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece if self._held else piece
        self._held = ""
        cut = text.rfind("<")
        if cut != -1 and self.restorer.is_partial(text[cut:]):
            self._held, text = text[cut:], text[:cut]
        return self.restorer.restore(text)

    def flush(self) -> str:
        """The held tail at the end of the stream: a token that never completed, as it was."""
        held, self._held = self._held, ""
        return held
