"""Management addresses: a pool of networks, addressed by slot (pure: no I/O)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable


class AddressPool:
    """Management addresses: slot n is the n-th usable address over the pools, in order."""

    def __init__(self, pools: Iterable[str]) -> None:
        self.networks = tuple(ipaddress.ip_network(pool) for pool in pools)

    @staticmethod
    def _usable(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int]:
        """(offset of the first usable address, how many) of one network."""
        if network.version == 4 and network.prefixlen <= 30:
            return 1, network.num_addresses - 2  # no network or broadcast address
        if network.version == 6 and network.prefixlen <= 126:
            return 1, network.num_addresses - 1  # no subnet-router anycast address
        return 0, network.num_addresses

    def address(self, slot: int) -> str | None:
        """The address of `slot`, or None when the pools hold fewer addresses."""
        for network in self.networks:
            first, count = self._usable(network)
            if slot < count:
                return str(network.network_address + first + slot)
            slot -= count
        return None
