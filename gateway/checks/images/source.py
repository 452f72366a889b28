"""The bytes of one image part: decoded from its `data:` URL, or fetched from an allowed origin.

The gateway fetches a remote image only when the tenant's policy says `images_fetch: allow` and
the URL's origin (and that of every redirect) is in `images_fetch_hosts`; the fetch is bounded
in time, size and redirects. Any other remote URL is a 400 that says why: fetching what callers
name from inside the company network is a server-side request forgery hole.

Each hop's host is resolved once, here; every address must pass the address rule (address.py);
the request goes to the first of them that takes the connection, with the URL's name kept as
the Host header and as the TLS server name (SNI, and the name the certificate must match,
against the public CAs or `GATEWAY_IMAGE_FETCH_CA_FILE`). The HTTP client never resolves the
name itself, so a name that answered with a public address cannot answer with an inside one
when it connects (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from gateway.checks.images.address import Resolver, address_kind
from gateway.checks.images.decode import ImageLimits, data_url_bytes
from gateway.errors import BadRequest, PayloadTooLarge
from gateway.policy.schema import RoutingPolicy, origin_of

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout_seconds: float
    max_redirects: int


@dataclass(frozen=True, slots=True)
class _Pinned:
    """One hop's request: the URL once per checked address (in place of the name), and the name."""

    urls: tuple[httpx.URL, ...]  # never empty
    host_header: str
    server_name: str


def trust_store(ca_file: Path | None) -> ssl.SSLContext:
    """What a fetched host's certificate must chain to: the CAs in `ca_file`, else the public
    ones. Built once: loading a CA bundle takes milliseconds, too long for every fetch."""
    if ca_file is None:
        return httpx.create_ssl_context(trust_env=False)  # httpx's own default: certifi's CAs
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"GATEWAY_IMAGE_FETCH_CA_FILE: no CA certificates could be read ({exc})") from None


class ImageSource:
    def __init__(
        self,
        limits: ImageLimits,
        fetch: FetchLimits,
        resolver: Resolver | None = None,
        trust: ssl.SSLContext | None = None,
    ) -> None:
        self._limits = limits
        self._fetch = fetch
        self._resolver = resolver or Resolver()
        self._trust = trust or trust_store(None)
        # A silent first address must leave time for the next one.
        self._timeout = httpx.Timeout(fetch.timeout_seconds, connect=fetch.timeout_seconds / 2)

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
                return await self._get(url, routing, where)
        except TimeoutError:
            raise BadRequest(f"'{where}' could not be fetched in time.", param=where) from None
        except httpx.HTTPError as exc:
            raise BadRequest(f"'{where}' could not be fetched ({type(exc).__name__}).", param=where) from None

    async def _get(self, url: str, routing: RoutingPolicy, where: str) -> bytes:
        for _ in range(self._fetch.max_redirects + 1):
            pinned = await self._pin(url, routing, where)
            # A client per hop: a pooled connection is keyed by address, and must not carry one
            # name's TLS session to another. No proxies from the environment, no automatic
            # redirects: every hop is checked here.
            async with httpx.AsyncClient(
                follow_redirects=False, trust_env=False, verify=self._trust, timeout=self._timeout
            ) as client:
                response = await self._connect(client, pinned)
                try:
                    image_or_target = await self._answer(response, url, routing, where)
                finally:
                    await response.aclose()
                if isinstance(image_or_target, bytes):
                    return image_or_target
                url = image_or_target
        raise BadRequest(f"'{where}' redirects more than {self._fetch.max_redirects} times.", param=where)

    async def _connect(self, client: httpx.AsyncClient, pinned: _Pinned) -> httpx.Response:
        """The response from the first of the hop's addresses that takes the connection."""
        for index, url in enumerate(pinned.urls):
            request = client.build_request(
                "GET",
                url,
                headers={"Host": pinned.host_header},
                extensions={"sni_hostname": pinned.server_name},
            )
            try:
                return await client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if index == len(pinned.urls) - 1:
                    raise
        raise AssertionError("a hop has at least one address")

    async def _answer(
        self, response: httpx.Response, url: str, routing: RoutingPolicy, where: str
    ) -> bytes | str:
        """The image, or the URL a redirect leads to (checked against the allow-list)."""
        if response.status_code in _REDIRECTS and "location" in response.headers:
            target = urljoin(url, response.headers["location"])
            if origin_of(target) not in routing.images_fetch_hosts:
                raise BadRequest(f"'{where}' redirects to a host that is not allowed.", param=where)
            return target
        if response.status_code != 200:
            raise BadRequest(f"'{where}' could not be fetched (HTTP {response.status_code}).", param=where)
        return await self._body(response, where)

    async def _pin(self, url: str, routing: RoutingPolicy, where: str) -> _Pinned:
        """Resolve the URL's host once and check every address it has (the message names
        neither the host nor the address: the caller learns the rule, not the network)."""
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")  # IDNA-encoded, as DNS and TLS name it
        try:
            addresses = await self._resolver.addresses(host, parsed.port or _PORTS[parsed.scheme])
        except OSError:
            raise BadRequest(f"'{where}' names a host that does not resolve.", param=where) from None
        if not addresses:
            raise BadRequest(f"'{where}' names a host that does not resolve.", param=where)
        private_allowed = origin_of(url) in routing.images_fetch_private_hosts
        for address in addresses:
            kind = address_kind(address)
            if kind == "metadata":
                raise BadRequest(
                    f"'{where}' resolves to a cloud metadata address, which the gateway never fetches from.",
                    param=where,
                    code="image_url_not_allowed",
                )
            if kind != "public" and not private_allowed:
                raise BadRequest(
                    f"'{where}' resolves to a {kind} address; the gateway fetches images from public "
                    "addresses only, unless the tenant's policy lists the origin in "
                    "images_fetch_private_hosts.",
                    param=where,
                    code="image_url_not_allowed",
                )
        urls = tuple(parsed.copy_with(host=str(address)) for address in addresses)
        return _Pinned(urls, parsed.netloc.decode("ascii"), host)

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
