"""A private PKI for the TLS tests, made with the `openssl` command line: a CA, the
certificates an endpoint may have in the field (good, expired, for another name, from
another CA) and a client certificate for mutual TLS. Loopback names only."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

LOOPBACK_NAMES = "subjectAltName=IP:127.0.0.1,DNS:localhost\n"


def _openssl(*arguments: str, cwd: Path) -> None:
    result = subprocess.run(
        ["openssl", *arguments], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@dataclass(frozen=True)
class Pair:
    """A certificate and its key."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    ca: Pair  # the private CA the endpoint's certificates come from
    other_ca: Pair  # a CA that signed none of them
    server: Pair  # for 127.0.0.1 and localhost, valid now
    expired: Pair  # for 127.0.0.1, expired
    wrong_name: Pair  # valid, but for another name only
    client: Pair  # a client certificate from the private CA


def _ca(directory: Path, name: str) -> Pair:
    pair = Pair(directory / f"{name}.pem", directory / f"{name}.key")
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(pair.key), "-out", str(pair.cert), "-subj", f"/CN={name}",
        "-days", "3", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    return pair


def _issued(directory: Path, ca: Pair, name: str, extensions: str, days: str = "3") -> Pair:
    """A certificate issued by `ca`; days "-1": it expired a day before it was issued."""
    pair = Pair(directory / f"{name}.pem", directory / f"{name}.key")
    request, extension_file = directory / f"{name}.csr", directory / f"{name}.ext"
    extension_file.write_text(extensions)
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(pair.key), "-out", str(request), "-subj", f"/CN={name}",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca.cert), "-CAkey", str(ca.key),
        "-CAcreateserial", "-out", str(pair.cert), "-days", days, "-extfile", str(extension_file),
        cwd=directory,
    )  # fmt: skip
    return pair


def make_pki(directory: Path) -> Pki:
    ca, other_ca = _ca(directory, "private-ca"), _ca(directory, "other-ca")
    return Pki(
        ca=ca,
        other_ca=other_ca,
        server=_issued(directory, ca, "server", LOOPBACK_NAMES),
        expired=_issued(directory, ca, "expired", LOOPBACK_NAMES, days="-1"),
        wrong_name=_issued(directory, ca, "wrong-name", "subjectAltName=DNS:bigv.invalid\n"),
        client=_issued(directory, ca, "client", "extendedKeyUsage=clientAuth\n"),
    )
