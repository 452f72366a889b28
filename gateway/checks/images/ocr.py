"""The words in an image, each with its box: the OCR seam, and Tesseract behind it.

Tesseract (Debian's `tesseract-ocr` + `tesseract-ocr-eng`) runs as a subprocess, the image on
its standard input and TSV (one row per word, with its box) on its standard output. Neither
`pytesseract` nor `presidio-image-redactor` is used: the first is a wrapper around this same
call that cannot set the subprocess's environment, and Tesseract's OpenMP threads must be
limited to one (on two busy cores they made one 1024x768 page take 3.5 s instead of 0.45 s);
the second would add OpenCV, pydicom and a Presidio analyzer of its own beside the gateway's,
where the gateway's PII policy must be the one that decides.

`Ocr.read` is synchronous and CPU-bound: the image check runs it on a thread, a bounded number
at a time. Any failure (no tesseract binary, no English data, a crash, the time limit) is
`OcrUnavailable`; the check then fails closed.
"""

from __future__ import annotations

import io
import os
import subprocess
from abc import ABC, abstractmethod
from dataclasses import dataclass

from PIL import Image

Box = tuple[int, int, int, int]  # left, top, right, bottom, in pixels


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    box: Box
    line: tuple[int, int, int]  # (block, paragraph, line): words of one line share it


class OcrUnavailable(Exception):
    """OCR could not run; the message names the cause, never the image's content."""


class Ocr(ABC):
    version: str = "unknown"  # recorded in the image check's outcome

    @abstractmethod
    def read(self, image: Image.Image, timeout_seconds: float) -> list[Word]:
        """The words found, in reading order."""


class TesseractOcr(Ocr):
    # Page segmentation 11 ("sparse text") finds the scattered labels and fields of screenshots
    # that the default page layout analysis skips as non-text.
    ARGS = ("stdin", "stdout", "-l", "eng", "--psm", "11", "tsv")

    def __init__(self, command: str = "tesseract") -> None:
        self._command = command
        self._environ = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # see the module docstring
        self.version = self._binary_version()

    def _binary_version(self) -> str:
        try:
            done = subprocess.run([self._command, "--version"], capture_output=True, text=True, timeout=10)
            return done.stdout.split("\n", 1)[0].strip() or "tesseract (unknown version)"
        except (OSError, subprocess.SubprocessError):  # checked again on every read
            return "tesseract unavailable"

    def read(self, image: Image.Image, timeout_seconds: float) -> list[Word]:
        page = io.BytesIO()
        _on_white(image).save(page, format="PPM")  # uncompressed: no time spent on zlib
        try:
            done = subprocess.run(
                [self._command, *self.ARGS],
                input=page.getvalue(),
                capture_output=True,
                timeout=timeout_seconds,
                env=self._environ,
                check=False,
            )
        except FileNotFoundError:
            raise OcrUnavailable("the tesseract program is not installed") from None
        except subprocess.TimeoutExpired:  # run() has killed it
            raise OcrUnavailable("OCR exceeded its time limit") from None
        except OSError as exc:
            raise OcrUnavailable(f"OCR could not start: {type(exc).__name__}") from None
        if done.returncode != 0:  # e.g. no English data: stderr says so, for the operator only
            raise OcrUnavailable(f"tesseract exited with status {done.returncode}")
        return _words(done.stdout.decode("utf-8", errors="replace"))


def _words(tsv: str) -> list[Word]:
    """Word rows (level 5) of Tesseract's TSV: level page block par line word left top width
    height conf text."""
    words = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        block, paragraph, line = int(cells[2]), int(cells[3]), int(cells[4])
        left, top, width, height = (int(cell) for cell in cells[6:10])
        words.append(
            Word(cells[11].strip(), (left, top, left + width, top + height), (block, paragraph, line))
        )
    return words


def _on_white(image: Image.Image) -> Image.Image:
    """What a viewer shows: transparent pixels over white (Tesseract would read their colour)."""
    if image.mode in ("RGB", "L"):
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, "white")
    return Image.alpha_composite(background, rgba).convert("RGB")
