import io

import pytest
from PIL import Image

from gateway.checks.images.ocr import OcrUnavailable, TesseractOcr, Word
from gateway.checks.images.redact import boxes_to_paint, encode, ocr_text, paint
from gateway.checks.pii.detector import Span
from tests.images import drawn, need_tesseract

WORDS = [
    Word("Email:", (10, 10, 80, 30), (1, 1, 1)),
    Word("jane@example.com", (90, 10, 300, 30), (1, 1, 1)),
    Word("Card", (10, 50, 60, 70), (1, 1, 2)),
    Word("4111", (70, 50, 120, 70), (1, 1, 2)),
    Word("1111", (130, 50, 180, 70), (1, 1, 2)),
]


def test_words_of_a_line_are_joined_by_spaces_and_lines_by_breaks() -> None:
    text = ocr_text(WORDS)
    assert text.text == "Email: jane@example.com\nCard 4111 1111"
    start, end, word = text.ranges[1]
    assert text.text[start:end] == word.text == "jane@example.com"


def test_a_span_paints_every_word_it_touches() -> None:
    text = ocr_text(WORDS)
    card_start = text.text.index("4111")
    spans = [Span("CREDIT_CARD", card_start, card_start + 9, 0.9), Span("EMAIL_ADDRESS", 9, 14, 0.9)]
    assert boxes_to_paint(text, spans) == [WORDS[1].box, WORDS[3].box, WORDS[4].box]
    assert boxes_to_paint(text, []) == []


def test_painted_boxes_are_black_and_the_rest_untouched() -> None:
    image = Image.new("RGB", (320, 100), "white")
    painted = paint(image, [(90, 10, 300, 30)])
    assert painted.getpixel((200, 20)) == (0, 0, 0)
    assert painted.getpixel((200, 80)) == (255, 255, 255)
    assert image.getpixel((200, 20)) == (255, 255, 255)  # the original is not changed


def test_encoding_keeps_the_format_and_drops_metadata() -> None:
    image = Image.new("RGB", (20, 20), "white")
    assert encode(image, "JPEG")[0] == "image/jpeg"
    assert encode(image, "GIF")[0] == "image/png"
    mime, data = encode(Image.new("RGBA", (20, 20)), "JPEG")  # alpha cannot go into a JPEG
    assert mime == "image/jpeg" and data[:2] == b"\xff\xd8"


def test_metadata_of_the_caller_does_not_go_on() -> None:
    for source_format in ("JPEG", "PNG", "WEBP"):
        exif = Image.Exif()
        exif[0x013B] = "Jane Doe"  # Artist
        written = io.BytesIO()
        Image.new("RGB", (20, 20), "white").save(written, format=source_format, exif=exif)
        opened = Image.open(io.BytesIO(written.getvalue()))
        assert opened.getexif().get(0x013B) == "Jane Doe"
        _, data = encode(paint(opened, []), source_format)
        assert b"Jane Doe" not in data


def test_tesseract_that_is_not_there_is_ocr_unavailable() -> None:
    missing = TesseractOcr(command="/nonexistent/tesseract")
    assert missing.version == "tesseract unavailable"
    with pytest.raises(OcrUnavailable, match="not installed"):
        missing.read(Image.new("RGB", (20, 20), "white"), timeout_seconds=5)


def test_tesseract_reads_drawn_words_with_their_boxes() -> None:
    need_tesseract()
    words = TesseractOcr().read(drawn(["Invoice 4521 paid"], size=(500, 100)), timeout_seconds=30)
    assert [w.text for w in words] == ["Invoice", "4521", "paid"]
    assert len({w.line for w in words}) == 1
    left, top, right, bottom = words[0].box
    assert 20 <= left < right <= 200 and 20 <= top < bottom <= 80
