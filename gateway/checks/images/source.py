"""The bytes of one image part: decoded from its `data:` URL, or fetched from an allowed origin.

The gateway fetches a remote image only when the tenant's policy says `images_fetch: allow` and
the URL's origin (and that of every redirect) is in `images_fetch_hosts`; the fetch is bounded
in time, size and redirects. Any other remote URL is a 400 that says why: fetching what callers
name from inside the company network is a server-side request forgery hole.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from gateway.checks.images.decode import ImageLimits, data_url_bytes
from gateway.errors import BadRequest, PayloadTooLarge
from gateway.policy.schema import RoutingPolicy, origin_of

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout_seconds: float
    max_redirects: int


class ImageSource:
    def __init__(self, limits: ImageLimits, fetch: FetchLimits) -> None:
        self._limits = limits
        self._fetch = fetch

    async def load(self, url: str, routing: RoutingPolicy, where: str) -> bytes:
        if url.startswith("data:"):
            return data_url_bytes(url, self._limits, where)
        origin = origin_of(url)
        if origin is None:
            raise BadRequest(f"'{where}' must be a base64 data: URL or an http(s) URL.", param=where)
        if routing.images_fetch != "allow" or origin not in routing.images_fetch_hosts:
            raise BadRequest(
                f"'{where}' is a remote URL, and this tenant's policy does not let the gateway fetch "
                "images from that host (it would be a server-side request forgery risk): send the "
                "image inline as a base64 data: URL.",
                param=where,
                code="image_url_not_allowed",
            )
        try:
            async with asyncio.timeout(self._fetch.timeout_seconds):
                return await self._get(url, routing.images_fetch_hosts, where)
        except TimeoutError:
            raise BadRequest(f"'{where}' could not be fetched in time.", param=where) from None
        except httpx.HTTPError as exc:
            raise BadRequest(f"'{where}' could not be fetched ({type(exc).__name__}).", param=where) from None

    async def _get(self, url: str, allowed: list[str], where: str) -> bytes:
        # No proxies from the environment, no automatic redirects: every hop is checked here.
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
            for _ in range(self._fetch.max_redirects + 1):
                async with client.stream("GET", url) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        if origin_of(url) not in allowed:
                            raise BadRequest(
                                f"'{where}' redirects to a host that is not allowed.", param=where
                            )
                        continue
                    if response.status_code != 200:
                        raise BadRequest(
                            f"'{where}' could not be fetched (HTTP {response.status_code}).", param=where
                        )
                    return await self._body(response, where)
        raise BadRequest(f"'{where}' redirects more than {self._fetch.max_redirects} times.", param=where)

    async def _body(self, response: httpx.Response, where: str) -> bytes:
        too_large = PayloadTooLarge(f"'{where}' is larger than {self._limits.max_bytes} bytes.", param=where)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limits.max_bytes:
            raise too_large
        received = bytearray()
        async for piece in response.aiter_bytes():
            received += piece
            if len(received) > self._limits.max_bytes:
                raise too_large
        return bytes(received)
