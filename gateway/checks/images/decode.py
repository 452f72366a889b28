"""Image bytes -> one decoded image, or a clear 400/413. Work is bounded before it is done:

- a `data:` URL's size is computed from its base64 length before anything is decoded;
- the pixel count is read from the image header before the pixels are decompressed, so a
  small file that inflates to gigabytes (a decompression bomb) is refused unread;
- only single-frame PNG, JPEG, WebP and GIF images are accepted (what the OpenAI API takes);
  an animated image cannot be redacted frame by frame here, so it is refused too.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from PIL import Image

from gateway.errors import BadRequest, PayloadTooLarge

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int


def data_url_bytes(url: str, limits: ImageLimits, where: str) -> bytes:
    header, comma, payload = url.partition(",")
    if not comma or not header.startswith("data:") or not header.endswith(";base64"):
        raise BadRequest(f"'{where}' must be a base64 data: URL or an http(s) URL.", param=where)
    payload = "".join(payload.split())  # line breaks are common in base64 and harmless
    if len(payload) // 4 * 3 > limits.max_bytes:
        raise PayloadTooLarge(f"'{where}' is larger than {limits.max_bytes} bytes.", param=where)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"'{where}' is not valid base64 (truncated?).", param=where) from None


def open_image(raw: bytes, limits: ImageLimits, where: str) -> tuple[Image.Image, str]:
    """The decoded image and its Pillow format name. Runs off the event loop (decoding costs)."""
    if len(raw) > limits.max_bytes:
        raise PayloadTooLarge(f"'{where}' is larger than {limits.max_bytes} bytes.", param=where)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=list(FORMATS))
            width, height = image.size
            if width * height > limits.max_pixels:
                raise PayloadTooLarge(
                    f"'{where}' has {width}x{height} pixels; the limit is {limits.max_pixels}.", param=where
                )
            if getattr(image, "n_frames", 1) > 1:
                raise BadRequest(f"'{where}' is animated; only still images can be redacted.", param=where)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge(f"'{where}' decompresses to more pixels than allowed.", param=where) from None
    except (OSError, ValueError, SyntaxError, EOFError):  # Pillow's ways of saying "not an image"
        raise BadRequest(f"'{where}' is not a readable PNG, JPEG, WebP or GIF image.", param=where) from None
    assert image.format is not None
    return image, image.format
