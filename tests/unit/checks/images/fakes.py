"""OCR engines for tests: they subclass the real `Ocr`, so they meet the real seam."""

from __future__ import annotations

from PIL import Image

from gateway.checks.images.ocr import Ocr, OcrUnavailable, Word


class ScriptedOcr(Ocr):
    """Reads the words it was given, whatever the image; counts its calls."""

    version = "scripted-ocr 1"

    def __init__(self, words: list[Word]) -> None:
        self.words = words
        self.calls = 0

    def read(self, image: Image.Image, timeout_seconds: float) -> list[Word]:
        self.calls += 1
        return list(self.words)


class BrokenOcr(Ocr):
    version = "broken-ocr 1"

    def read(self, image: Image.Image, timeout_seconds: float) -> list[Word]:
        raise OcrUnavailable("the tesseract program is not installed")
