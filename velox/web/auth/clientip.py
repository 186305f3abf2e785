"""Which IP address a request comes from, for every per-IP decision (rate limits, the dev
outbox's loopback check), and the bucket a per-address limit counts it under.

Behind a reverse proxy every request comes from the proxy, so the peer address would put
all clients in one rate-limit bucket. ``--trusted-proxies`` names the proxies whose
``X-Forwarded-For`` is believed: the header is read from the right (each proxy appends the
address it received from), skipping trusted proxies, and the first address not trusted is
the client. What a client writes itself lands to the left of that and is never reached, so
it cannot pick its own bucket. A peer that is not a trusted proxy is the client, whatever
headers it sends.

Limits count an IPv6 client by its /64 (``bucket_of``): a host is given at least a /64 and
chooses any address in it, so counting each address let it rotate to a fresh budget.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"
IPV6_CLIENT_PREFIX = 64  # the least a network hands one host (RFC 7421; SLAAC needs it)


def parse_address(text: str | None) -> Address | None:
    """An IP address, IPv4-mapped IPv6 as plain IPv4; None for anything else."""
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def bucket_of(client: str) -> str:
    """The key every per-address limit counts ``client`` (an address, as ``client_of``
    gives it) under: an IPv4 address itself (IPv4-mapped IPv6 too), an IPv6 address its
    /64 (``2001:db8:1:1::/64``); anything else as it is."""
    address = parse_address(client)
    if address is None:
        return client
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


class ClientAddresses:
    """Resolves a request's client address given the trusted proxies' networks."""

    def __init__(self, proxies: Iterable[str]) -> None:
        self._proxies = tuple(ipaddress.ip_network(p, strict=False) for p in proxies)

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self._proxies)

    def client_of(self, peer: str | None, forwarded_for: Sequence[str]) -> str:
        """The client's address: ``peer`` unless it is a trusted proxy, then the nearest
        untrusted hop of the ``X-Forwarded-For`` headers (all of them, in order)."""
        client = parse_address(peer)
        if client is None:
            return peer or UNKNOWN
        if not self.trusts(client):
            return str(client)
        hops = [hop for header in forwarded_for for hop in header.split(",")]
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:  # not an address: keep the last hop a proxy vouched for
                break
            client = address
            if not self.trusts(address):
                break
        return str(client)
