"""OCR words -> one text for the PII detector; PII spans in that text -> boxes painted over.

The text puts a space between the words of a line and a line break between lines, so the
detector sees "4111 1111 1111 1111" and "John Smith" as a person writes them. Each word keeps
its character range; a span paints every word it touches, whole (a value glued to a label,
"Email:jane@example.com", loses the label too: over-painting is the safe side).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from gateway.checks.images.decode import FORMATS
from gateway.checks.images.ocr import Box, Word
from gateway.checks.pii.detector import Span

# Padding around each painted box, in word heights: Tesseract's boxes can clip a glyph's edge,
# most of all sideways, and a visible stroke of a digit is a digit read.
_PAD_X, _PAD_Y = 0.5, 0.3


@dataclass(frozen=True, slots=True)
class OcrText:
    text: str
    ranges: tuple[tuple[int, int, Word], ...]  # (start, end, word) in `text`


def ocr_text(words: Sequence[Word]) -> OcrText:
    pieces: list[str] = []
    ranges: list[tuple[int, int, Word]] = []
    position = 0
    previous: tuple[int, int, int] | None = None
    for word in words:
        if previous is not None:
            separator = " " if word.line == previous else "\n"
            pieces.append(separator)
            position += 1
        pieces.append(word.text)
        ranges.append((position, position + len(word.text), word))
        position += len(word.text)
        previous = word.line
    return OcrText("".join(pieces), tuple(ranges))


def boxes_to_paint(ocr: OcrText, spans: Sequence[Span]) -> list[Box]:
    return [
        word.box
        for start, end, word in ocr.ranges
        if any(span.start < end and start < span.end for span in spans)
    ]


def paint(image: Image.Image, boxes: Sequence[Box]) -> Image.Image:
    painted = image.copy() if image.mode in ("RGB", "RGBA", "L") else image.convert("RGBA")
    draw = ImageDraw.Draw(painted)
    for left, top, right, bottom in boxes:
        height = bottom - top
        pad_x, pad_y = max(3, round(height * _PAD_X)), max(2, round(height * _PAD_Y))
        draw.rectangle((left - pad_x, top - pad_y, right + pad_x, bottom + pad_y), fill="black")
    return painted


def encode(image: Image.Image, source_format: str) -> tuple[str, bytes]:
    """(MIME type, bytes) of the image to forward, in its own format (a GIF becomes a PNG).
    Re-encoding also drops the metadata (EXIF: camera, place, author), which nobody scanned."""
    target = source_format if source_format in ("PNG", "JPEG", "WEBP") else "PNG"
    out = io.BytesIO()
    options = {"quality": 90} if target in ("JPEG", "WEBP") else {"optimize": False}
    if target == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(out, format=target, **options)
    return FORMATS[target], out.getvalue()
