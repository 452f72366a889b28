"""Image fetches: the address rule and DNS pinning, against a real loopback web server.

A scripted resolver (a subclass of the real one) makes names resolve where a test needs them;
the server records the Host header it was sent, which shows that the fetch went to the pinned
address with the URL's name kept."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.checks.images.address import IPAddress, Resolver, address_kind
from gateway.checks.images.decode import ImageLimits
from gateway.checks.images.source import FetchLimits, ImageSource
from gateway.errors import BadRequest
from gateway.policy.schema import RoutingPolicy
from tests.images import drawn, png
from tests.servers import serve_in_thread

IMAGE = png(drawn([], size=(40, 20)))
WHERE = "messages[0].content[1].image_url.url"


class ScriptedResolver(Resolver):
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.answers:
            return await super().addresses(host, port)
        return [ipaddress.ip_address(address) for address in self.answers[host]]


class HostRecorder:
    """Serves IMAGE and records each request's Host header; `/hop?to=URL` redirects."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.hosts.append(dict(scope["headers"])[b"host"].decode())
        if scope["path"] == "/hop":
            target = scope["query_string"].decode().removeprefix("to=")
            headers = [(b"location", target.encode())]
            await send({"type": "http.response.start", "status": 302, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"image/png")]}
        )
        await send({"type": "http.response.body", "body": IMAGE})


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, HostRecorder]]:
    recorder = HostRecorder()
    with serve_in_thread(recorder) as url:
        yield int(url.rsplit(":", 1)[1]), recorder


def source(resolver: Resolver | None = None, trust: ssl.SSLContext | None = None) -> ImageSource:
    limits = ImageLimits(max_bytes=1_000_000, max_pixels=1_000_000)
    return ImageSource(limits, FetchLimits(timeout_seconds=5.0, max_redirects=2), resolver, trust)


def routing(hosts: list[str], private: list[str] | None = None) -> RoutingPolicy:
    return RoutingPolicy(
        images="redact",
        images_fetch="allow",
        images_fetch_hosts=hosts,
        images_fetch_private_hosts=private or [],
    )


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.216.34", "public"),
        ("2606:4700::1111", "public"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fd12::1", "private"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "metadata"),
        ("::ffff:169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("0.0.0.0", "reserved"),
        ("100.64.0.1", "reserved"),
        ("224.0.0.1", "reserved"),
    ],
)
def test_address_kinds(address: str, kind: str) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


async def test_a_name_resolving_to_loopback_is_refused_without_saying_where(
    server: tuple[int, HostRecorder],
) -> None:
    port, recorder = server
    before = len(recorder.hosts)
    url = f"http://localhost:{port}/jane.smith@example.com.png"  # localhost: a real name, /etc/hosts
    with pytest.raises(BadRequest) as caught:
        await source().load(url, routing([f"http://localhost:{port}"]), WHERE)
    message = caught.value.message
    assert caught.value.status_code == 400 and caught.value.code == "image_url_not_allowed"
    assert "loopback address" in message and "images_fetch_private_hosts" in message
    assert "localhost" not in message and "127.0.0.1" not in message and "jane" not in message
    assert len(recorder.hosts) == before  # nothing was sent


async def test_every_address_of_a_name_must_be_public() -> None:
    resolver = ScriptedResolver({"cdn.example.com": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(BadRequest, match="private address"):
        await source(resolver).load(
            "https://cdn.example.com/a.png", routing(["https://cdn.example.com"]), WHERE
        )


async def test_metadata_addresses_are_refused_even_when_private_ones_are_allowed() -> None:
    resolver = ScriptedResolver({"images.internal": ["169.254.169.254"]})
    allowed = routing(["http://images.internal"], private=["http://images.internal"])
    with pytest.raises(BadRequest, match="metadata"):
        await source(resolver).load("http://images.internal/latest/meta-data", allowed, WHERE)


async def test_the_fetch_goes_to_the_pinned_address_with_the_name_as_host(
    server: tuple[int, HostRecorder],
) -> None:
    """`images.test` exists only in the scripted resolver: had the HTTP client resolved the name
    itself, the fetch could not have connected."""
    port, recorder = server
    origin = f"http://images.test:{port}"
    resolver = ScriptedResolver({"images.test": ["127.0.0.1"]})
    body = await source(resolver).load(f"{origin}/a.png", routing([origin], private=[origin]), WHERE)
    assert body == IMAGE
    assert recorder.hosts[-1] == f"images.test:{port}"
    assert resolver.asked == ["images.test"]  # once, by the gateway


async def test_every_redirect_hop_is_checked(server: tuple[int, HostRecorder]) -> None:
    port, recorder = server
    loopback = f"http://127.0.0.1:{port}"
    named = f"http://localhost:{port}"
    fetch = source()
    # Within an allowed, opted-in origin: followed.
    body = await fetch.load(f"{loopback}/hop?to=/a.png", routing([loopback], private=[loopback]), WHERE)
    assert body == IMAGE
    # To an origin that is not allowed: refused before it is asked.
    before = len(recorder.hosts)
    with pytest.raises(BadRequest, match="redirects to a host that is not allowed"):
        await fetch.load(f"{loopback}/hop?to={named}/a.png", routing([loopback], private=[loopback]), WHERE)
    assert len(recorder.hosts) == before + 1  # the redirect only
    # To an allowed origin whose name resolves to loopback without the opt-in: refused too.
    hosts = routing([loopback, named], private=[loopback])
    with pytest.raises(BadRequest, match="loopback address"):
        await fetch.load(f"{loopback}/hop?to={named}/a.png", hosts, WHERE)
    assert len(recorder.hosts) == before + 2


async def test_the_next_address_is_tried_when_one_refuses_the_connection(
    server: tuple[int, HostRecorder],
) -> None:
    """The server listens on 127.0.0.1 only: 127.0.0.2 (loopback too) refuses, the next takes it."""
    port, recorder = server
    origin = f"http://two.test:{port}"
    resolver = ScriptedResolver({"two.test": ["127.0.0.2", "127.0.0.1"]})
    body = await source(resolver).load(f"{origin}/a.png", routing([origin], private=[origin]), WHERE)
    assert body == IMAGE and recorder.hosts[-1] == f"two.test:{port}"
    refusing = ScriptedResolver({"two.test": ["127.0.0.2"]})
    with pytest.raises(BadRequest, match="could not be fetched \\(ConnectError\\)"):
        await source(refusing).load(f"{origin}/a.png", routing([origin], private=[origin]), WHERE)
