"""Every setting of the emulator, with its documented default, in one frozen object."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from emulator import divergent
from emulator.model import DEFAULT_GROUP

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 0  # 0: a free port, printed on the first line of output
DEFAULT_CLUSTER_DOMAIN = "uk0.bigv.io"
DEFAULT_ACCOUNT = "conformance"
DEFAULT_USER = "alice"
DEFAULT_PASSWORD = "secret"
DEFAULT_PROVISION_DELAY = 0.0  # seconds; 0 = ready at once
# The IPv4 documentation ranges (RFC 5737), then the IPv6 one (RFC 3849) when they run out.
DEFAULT_ADDRESS_POOLS = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/64")

__all__ = ["DEFAULT_GROUP", "EmulatorConfig"]

MAX_BODY_BYTES = 1 << 20  # larger request bodies answer 413


@dataclass(frozen=True)
class EmulatorConfig:
    """How one emulator instance is served, stored and seeded."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db: Path | None = None  # None: an in-memory database
    # None: DEFAULT_CLUSTER_DOMAIN, or divergent.example with the cluster-domain divergence
    cluster_domain: str | None = None
    account: str = DEFAULT_ACCOUNT
    user: str = DEFAULT_USER
    password: str = DEFAULT_PASSWORD
    api_key: str | None = None
    require_otp: bool = False
    provision_delay: float = DEFAULT_PROVISION_DELAY
    seed_file: Path | None = None
    address_pools: tuple[str, ...] = field(default=DEFAULT_ADDRESS_POOLS)
    # Ids of spec/register.yaml entries whose divergent behaviour is on (emulator/divergent.py)
    divergences: frozenset[str] = frozenset()
    # HTTPS: the server's certificate (PEM, chain first) and its key; with tls_client_ca,
    # clients must present a certificate signed by one of its CAs (mutual TLS)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None

    def __post_init__(self) -> None:
        """Refuse settings that cannot work, with one clear sentence (ValueError)."""
        ids: Iterable[str] = self.divergences
        if isinstance(ids, str):
            raise ValueError("divergences must be a set of register ids, not one string")
        object.__setattr__(self, "divergences", divergent.checked(ids))
        if self.cluster_domain is None:
            domain = DEFAULT_CLUSTER_DOMAIN
            if "cluster-domain" in self.divergences:
                domain = divergent.CLUSTER_DOMAIN
            object.__setattr__(self, "cluster_domain", domain)
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {self.port}")
        if self.provision_delay < 0:
            raise ValueError("provision delay must not be negative")
        if not self.account or not self.user or not self.password:
            raise ValueError("account, user and password must not be empty")
        if self.api_key is not None and not self.api_key:
            raise ValueError("the API key must not be empty")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("give --tls-cert and --tls-key together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ValueError("--tls-client-ca needs --tls-cert and --tls-key")
        if not self.address_pools:
            raise ValueError("at least one address pool is needed")
        for pool in self.address_pools:
            try:
                ipaddress.ip_network(pool)
            except ValueError as error:
                raise ValueError(f"bad address pool {pool!r}: {error}") from None
