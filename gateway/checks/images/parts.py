"""Where a chat request carries images, and a copy of the body with some of them replaced.

The openai SDK sends `{"type": "image_url", "image_url": {"url": ..., "detail": ...}}`; some
clients send the URL as a plain string, and the Responses-style `input_image` part has it in
`image_url` as a string too. A part whose shape holds no URL is reported with `url=None`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.exchange import Endpoint, JsonObject

IMAGE_PART_TYPES = frozenset({"image_url", "input_image", "image"})


@dataclass(frozen=True, slots=True)
class ImagePart:
    message: int
    part: int
    url: str | None


def image_parts(endpoint: Endpoint, body: JsonObject) -> list[ImagePart]:
    if endpoint != "chat":
        return []
    found: list[ImagePart] = []
    for m, message in enumerate(body.get("messages") or ()):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for p, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") in IMAGE_PART_TYPES:
                found.append(ImagePart(m, p, _url_of(part)))
    return found


def with_urls(body: JsonObject, urls: dict[tuple[int, int], str]) -> JsonObject:
    """A copy of `body` where the image part at (message, part) has the URL `urls[...]`."""
    messages = list(body["messages"])
    for (m, p), url in urls.items():
        message = dict(messages[m])
        content = list(message["content"])
        content[p] = _with_url(content[p], url)
        message["content"] = content
        messages[m] = message
    return {**body, "messages": messages}


def _url_of(part: JsonObject) -> str | None:
    holder = part.get("image_url")
    if isinstance(holder, dict):
        holder = holder.get("url")
    return holder if isinstance(holder, str) else None


def _with_url(part: JsonObject, url: str) -> Any:
    holder = part.get("image_url")
    if isinstance(holder, dict):
        return {**part, "image_url": {**holder, "url": url}}
    return {**part, "image_url": url}
