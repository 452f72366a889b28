"""Which addresses the gateway may fetch an image from, and the resolver that names them.

An allowed origin is a name, and a name can resolve anywhere: to 127.0.0.1, to an RFC 1918
address inside the company network, to the cloud's instance metadata service. So a name is
resolved once, every address it resolves to must be public, and the fetch connects to that
address (see source.py), never letting the HTTP client resolve the name again (DNS rebinding).

Private, loopback and link-local addresses are fetched from only for origins the tenant lists
in `images_fetch_private_hosts` (an intranet image server); the metadata services' addresses
never, whatever the policy says.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services (AWS, GCP, Azure, OpenStack, Oracle; AWS ECS; AWS over IPv6;
# Alibaba): credentials live there, and no image does.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)


def address_kind(address: IPAddress) -> str:
    """`public`, `metadata`, or the kind of non-public address (`loopback`, `link-local`,
    `private`, `reserved`)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_unspecified:
        return "reserved"  # 0.0.0.0 and :: connect to this machine
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    if not address.is_global or address.is_multicast:
        return "reserved"  # shared (100.64/10), multicast, and other special ranges
    return "public"


class Resolver:
    """Names to addresses through the system's resolver (getaddrinfo: DNS, /etc/hosts)."""

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found: list[IPAddress] = []
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])  # no IPv6 scope
            if address not in found:
                found.append(address)
        return found
