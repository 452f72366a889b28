"""Values split across two texts of a request: "4111 1111" in one message, "1111 1111" in the next.

Each text is analysed on its own (and cached on its own), so a card number, SSN, IBAN or phone
number cut in two by a message boundary is two harmless fragments there. Here the end of each
text and the start of the next are joined and analysed again for those structured types; a
value found across the join becomes a span in each of the two texts, so both halves are
handled as the value they are part of. Only joins where both sides have a digit near the cut
are analysed: most requests have none and pay nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from gateway.checks.pii.detector import Span
from gateway.checks.pii.scope import DetectionScope

# Types whose values people really split (digits in groups) and that patterns find without NER.
SPLITTABLE = frozenset({"CREDIT_CARD", "US_SSN", "IBAN_CODE", "PHONE_NUMBER"})
EDGE = 40  # characters taken from each side of a join: more than the longest grouped IBAN
_JOINER = " "
_DIGIT = re.compile(r"\d")

Detect = Callable[[Sequence[str], DetectionScope], Awaitable[list[tuple[Span, ...]]]]


@dataclass(frozen=True, slots=True)
class Seam:
    left: int  # index of the text before the join
    right: int  # index of the text after it
    offset: int  # where the joined tail starts in the left text
    joined: str  # the tail of the left text, maybe a space, the head of the right one
    cut: int  # where the head starts in `joined`


def seams_of(texts: Sequence[str]) -> list[Seam]:
    present = [index for index, text in enumerate(texts) if text.strip()]
    found = []
    for left, right in itertools.pairwise(present):
        tail, head = texts[left][-EDGE:], texts[right][:EDGE]
        if _DIGIT.search(tail[-8:]) and _DIGIT.search(head[:8]):
            # A space between two digits ("4111 1111" | "1111 1111"); none where a side already
            # ends in a separator ("536-22" | "-8127").
            joiner = _JOINER if tail[-1].isalnum() and head[0].isalnum() else ""
            offset = len(texts[left]) - len(tail)
            found.append(Seam(left, right, offset, tail + joiner + head, len(tail) + len(joiner)))
    return found


async def across_seams(
    detect: Detect, texts: Sequence[str], scope: DetectionScope, found: list[tuple[Span, ...]]
) -> list[tuple[Span, ...]]:
    """`found` with the spans of values that straddle a join added to both of its texts."""
    wanted = tuple(entity for entity in scope.entities if entity in SPLITTABLE)
    seams = seams_of(texts) if wanted else []
    if not seams:
        return found
    narrow = replace(scope, entities=wanted, custom=())
    joined = await detect([seam.joined for seam in seams], narrow)
    out = [list(spans) for spans in found]
    for seam, spans in zip(seams, joined, strict=True):
        end_left = len(texts[seam.left])
        for span in spans:
            if span.start < end_left - seam.offset and span.end > seam.cut:  # tail into head
                out[seam.left].append(replace(span, start=seam.offset + span.start, end=end_left))
                out[seam.right].append(replace(span, start=0, end=span.end - seam.cut))
    return [tuple(spans) for spans in out]
