"""Cutting text into finished sentences, for checks that judge an answer sentence by sentence.

A sentence ends after a word of two or more lower-case letters or digits and `.`, `!` or `?`
followed by white space ("today. "), not after "Dr. " or "J. ", or at a line break. Each
sentence keeps the white space that follows it, so the pieces join back to the text exactly.
In a stream, at most `MAX_HELD` characters wait for a sentence to end; past that the text is
cut at a space, and where there is no space either, what a segmenter does is its own choice
(`Segmenter(whole_words=...)`).
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[a-z0-9][a-z0-9][.!?])\s+|\n+")
MAX_HELD = 512
_MARGIN = 64  # a forced cut stays this far from the end: longer than any PII value scanned for


def sentences(text: str) -> list[str]:
    """`text` as its sentences (the last one possibly unfinished); they join back to `text`."""
    out: list[str] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        out.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        out.append(text[start:])
    return out


class Segmenter:
    """Cuts a stream of text into pieces that end where a sentence does.

    Past `MAX_HELD` characters with no sentence end, the text is cut at the last space before
    the final `_MARGIN` characters. With no such space, `whole_words=False` lets everything
    held go (a check judging sentences holds a bounded window); `whole_words=True` keeps
    holding until a space or the end comes (the PII scan must never see a value in halves).
    """

    def __init__(self, whole_words: bool = False) -> None:
        self._buffer = ""
        self._whole_words = whole_words

    def push(self, piece: str) -> str:
        self._buffer += piece
        cut = 0
        for match in SENTENCE_END.finditer(self._buffer):
            cut = match.end()
        if not cut and len(self._buffer) > MAX_HELD:
            cut = self._buffer.rfind(" ", 0, len(self._buffer) - _MARGIN) + 1
            if not cut and not self._whole_words:
                cut = len(self._buffer)
        ready, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return ready

    def flush(self) -> str:
        rest, self._buffer = self._buffer, ""
        return rest
