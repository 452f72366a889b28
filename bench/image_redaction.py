"""Latency of `routing.images: redact` for a 1024x768 screenshot-like PNG, at concurrency 1.

    .venv/bin/python -m bench.image_redaction [--images 12]

Each image is new (its ticket number and order rows differ: no cache can answer). Stages,
timed on the same images: decode (base64 + Pillow, within the limits), OCR (Tesseract),
detection (the real Presidio detector on the OCR text), paint + re-encode; and the whole
`ImageCheck.scan` as the gateway runs it. Afterwards each forwarded image is read again by
Tesseract: "leaks" counts images where the name, e-mail or card number can still be read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import time

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from gateway.checks.base import InputScan
from gateway.checks.images.check import ImageCheck
from gateway.checks.images.decode import data_url_bytes, open_image
from gateway.checks.images.redact import boxes_to_paint, encode, ocr_text, paint
from gateway.checks.pii.actions import resolve
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.scope import scope_of
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy
from gateway.services import image_work
from gateway.settings import Settings
from tests.images import CARD, EMAIL, NAME, data_url, image_from_url, ocr, png, screenshot

POLICY = TenantPolicy.model_validate({"tenant": "bench", "api_keys": [], "routing": {"images": "redact"}})


def request(url: str) -> InputScan:
    content = [
        {"type": "text", "text": "What is wrong here?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": content}]}
    return InputScan(request=CompletionRequest("chat", "gpt-4o", False, body))


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f}"


async def run(images: int) -> None:
    settings = Settings.from_env({})
    work = image_work(settings)
    detection = Detection(PresidioDetector())
    check = ImageCheck(lambda _: False, detection, work)
    scope = scope_of(POLICY.pii)
    urls = [data_url(png(screenshot(serial))) for serial in range(images + 1)]
    await check.scan(POLICY, request(urls[-1]))  # warm-up: detector, first OCR
    stages: dict[str, list[float]] = {"decode": [], "ocr": [], "detect": [], "paint+encode": []}
    whole: list[float] = []
    leaks = 0
    for url in urls[:-1]:
        t0 = time.perf_counter()
        image, source_format = open_image(data_url_bytes(url, work.limits, "p"), work.limits, "p")
        t1 = time.perf_counter()
        words = work.ocr.read(image, work.ocr_timeout_seconds)
        t2 = time.perf_counter()
        text = ocr_text(words)
        spans = resolve((await detection.detect([text.text + " "], scope))[0])  # " ": not the cached text
        t3 = time.perf_counter()
        encode(paint(image, boxes_to_paint(text, spans)), source_format)
        t4 = time.perf_counter()
        for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            stages[name].append(seconds)
    for serial in range(images):
        fresh = data_url(png(screenshot(1000 + serial)))  # not the images the stages saw
        start = time.perf_counter()
        out = await check.scan(POLICY, request(fresh))
        whole.append(time.perf_counter() - start)
        seen = ocr(image_from_url(out.request.body["messages"][0]["content"][1]["image_url"]["url"]))
        leaks += any(value in seen for value in (NAME, EMAIL, CARD, "Smith", "john.smith"))
    detection.close()
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"{images} images 1024x768 PNG, median ms; {work.ocr.version} ({version}); cpus {os.cpu_count()}")
    print("| stage | p50 ms | min ms | max ms |\n|---|---:|---:|---:|")
    for name, values in stages.items():
        print(f"| {name} | {median_ms(values)} | {min(values) * 1000:.0f} | {max(values) * 1000:.0f} |")
    print(f"| **ImageCheck.scan (whole)** | **{median_ms(whole)}** | {min(whole) * 1000:.0f} | "
          f"{max(whole) * 1000:.0f} |")  # fmt: skip
    print(f"leaks: {leaks} of {images} forwarded images still OCR to the name, e-mail or card")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=12)
    asyncio.run(run(parser.parse_args().images))


if __name__ == "__main__":
    main()
