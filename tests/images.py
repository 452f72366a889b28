"""Images made in the test: text drawn on white, as a screenshot or a scanned form shows it."""

from __future__ import annotations

import base64
import io
import shutil

from PIL import Image, ImageDraw, ImageFont

from tests.services import require

NAME, EMAIL, CARD = "John Smith", "john.smith@example.com", "4111 1111 1111 1111"


def drawn(lines: list[str], size: tuple[int, int] = (900, 300), font_size: int = 28) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_size)
    for index, line in enumerate(lines):
        draw.text((30, 30 + index * int(font_size * 2)), line, fill="black", font=font)
    return image


def screenshot(serial: int = 0, size: tuple[int, int] = (1024, 768)) -> Image.Image:
    """A screenshot-like page: a title bar, a customer record with PII, and rows of table text.
    `serial` varies the text, so that no two images are the same (no cache can answer)."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.load_default(size=26), ImageFont.load_default(size=16)
    draw.rectangle((0, 0, size[0], 44), fill=(40, 60, 90))
    draw.text((14, 12), f"Support desk - ticket #{48000 + serial}", fill="white", font=small)
    record = [f"Customer: {NAME}", f"Email: {EMAIL}", f"Card: {CARD}", f"Ticket {serial}: refund request"]
    for index, line in enumerate(record):
        draw.text((40, 80 + index * 46), line, fill="black", font=big)
    for row in range(14):
        text = f"Order {10000 + serial * 20 + row} shipped to warehouse {row % 5}, status delivered"
        draw.text((40, 290 + row * 30), text, fill=(70, 70, 70), font=small)
    return image


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def image_from_url(url: str) -> Image.Image:
    header, _, payload = url.partition(",")
    assert header.startswith("data:image/") and header.endswith(";base64")
    return Image.open(io.BytesIO(base64.b64decode(payload)))


def ocr(image: Image.Image) -> str:
    """What Tesseract reads in the image, as the gateway runs it."""
    from gateway.checks.images.ocr import TesseractOcr
    from gateway.checks.images.redact import ocr_text

    return ocr_text(TesseractOcr().read(image, timeout_seconds=60)).text


def need_tesseract() -> None:
    """Skip without Tesseract on a developer's machine; fail under CI (.ci/run installs it)."""
    require(
        shutil.which("tesseract") is not None, "tesseract (apt-get install tesseract-ocr tesseract-ocr-eng)"
    )
