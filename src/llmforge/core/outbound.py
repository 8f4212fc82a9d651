"""Outbound guard for the base URLs of providers and Dify apps (LLMFORGE_OUTBOUND_GUARD).

When on, a URL whose host resolves to a non-public address (private, loopback, link-local,
carrier-grade NAT, multicast, reserved) is refused with 422 `outbound_address_blocked`, unless
the host name or one of its addresses is in LLMFORGE_OUTBOUND_ALLOW (host names, addresses or
CIDR ranges). A host that does not resolve is refused too (`outbound_host_unresolved`): the
guard cannot vouch for it. Off by default, because Ollama and local servers run on localhost.
"""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from llmforge.core.errors import InvalidInput
from llmforge.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundBlocked(InvalidInput):
    code = "outbound_address_blocked"


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _allowlist(entries: list[str]) -> tuple[set[str], list[IPNetwork]]:
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def check_outbound_url(url: str, settings: Settings) -> None:
    """Raise OutboundBlocked when the guard is on and `url` leads to a non-public address."""
    if not settings.outbound_guard:
        return
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    names, networks = _allowlist(settings.outbound_allow)
    if host in names:
        return
    try:
        addresses = await resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        raise OutboundBlocked(
            f"The host {host!r} does not resolve, so the outbound guard cannot allow it.",
            code="outbound_host_unresolved",
            details={"host": host},
        ) from None
    for address in addresses:
        if not is_public(address) and not any(address in net for net in networks):
            raise OutboundBlocked(
                f"{host} resolves to the non-public address {address}, which the outbound "
                "guard refuses; an admin can allow it in LLMFORGE_OUTBOUND_ALLOW.",
                details={"host": host, "address": str(address)},
            )
