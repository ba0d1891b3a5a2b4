"""HTTPS as it is in the field: private CAs, --insecure, client certificates.

The TLS settings are read with the rest of the target (`target.configuration`); this
module checks the files they name, turns them into what `requests` and schemathesis are given, and
turns a failed handshake into one line that names its cause and the flag that fixes it.
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CA_FIX = "--ca-bundle FILE (or BIGV_CA_BUNDLE, or REQUESTS_CA_BUNDLE)"
CLIENT_FIX = "--client-cert FILE and --client-key FILE (or BIGV_CLIENT_CERT, BIGV_CLIENT_KEY)"
INSECURE_FIX = "--insecure (or BIGV_INSECURE=1) to test without verifying it"

# OpenSSL's X509_V_ERR_* codes, by what the user can do about them
UNKNOWN_ISSUER = {2, 18, 19, 20, 21, 27}
EXPIRED = {10}
NOT_YET_VALID = {9}
NAME_MISMATCH = {62, 63, 64}
# TLS alerts of a server that refuses the client certificate it was given
REFUSED_CLIENT_ALERTS = ("UNKNOWN_CA", "UNKNOWN CA", "BAD_CERTIFICATE", "BAD CERTIFICATE",
                         "CERTIFICATE_UNKNOWN", "CERTIFICATE UNKNOWN")  # fmt: skip
AMBIENT_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class TlsSettingError(ValueError):
    """A TLS file cannot be used; the message is one line."""


def _origin(settings: Mapping[str, Any], name: str) -> str:
    if name == "ca_bundle" and settings.get("ca_bundle_origin"):
        return str(settings["ca_bundle_origin"])
    return f"--{name.replace('_', '-')}"


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse TLS settings that cannot work, in one line (TlsSettingError; the target's
    configuration says it as its ConfigError)."""
    bundle, cert, key = (settings.get(k) for k in ("ca_bundle", "client_cert", "client_key"))
    ambient = settings.get("ca_bundle_origin") in AMBIENT_CA_VARIABLES
    if settings.get("insecure") and bundle and not ambient:
        raise TlsSettingError(
            f"give {_origin(settings, 'ca_bundle')} or --insecure (BIGV_INSECURE), not both"
        )
    if key and not cert:
        raise TlsSettingError("--client-key given without --client-cert (or BIGV_CLIENT_CERT)")
    if bundle and not settings.get("insecure"):
        _check_bundle(str(bundle), _origin(settings, "ca_bundle"))
    if cert:
        _check_client(str(cert), str(key) if key else None)


def _readable(path: str, origin: str, what: str) -> Path:
    found = Path(path)
    if not found.exists():
        raise TlsSettingError(f"{what} from {origin} not found: {path}")
    if found.is_file():
        try:
            with found.open("rb") as handle:
                handle.read(1)
        except OSError as error:
            raise TlsSettingError(
                f"{what} from {origin} cannot be read: {path} ({error.strerror})"
            ) from None
    return found


def _check_bundle(path: str, origin: str) -> None:
    found = _readable(path, origin, "CA bundle")
    if found.is_dir():  # a c_rehash directory, as requests allows
        return
    context = ssl.create_default_context(cafile=None)
    try:
        context.load_verify_locations(cafile=path)
    except (ssl.SSLError, ValueError):
        raise TlsSettingError(f"CA bundle from {origin} holds no PEM certificate: {path}") from None


def _check_client(cert: str, key: str | None) -> None:
    _readable(cert, "--client-cert", "client certificate")
    if key:
        _readable(key, "--client-key", "client key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, ValueError) as error:
        reason = getattr(error, "reason", None) or str(error)
        hint = "" if key else " (a key in another file needs --client-key)"
        raise TlsSettingError(
            f"--client-cert {cert}{f' with --client-key {key}' if key else ''} is not a "
            f"PEM certificate and its private key ({reason}){hint}"
        ) from None


def schemathesis_settings(verify: bool | str, cert: Any) -> dict[str, Any]:
    """The TLS keys of a schemathesis configuration: its own calls (generated cases, the
    stateful run, the checks' probes) pass `verify` and `cert` on every request, which
    would otherwise override the session's."""
    data: dict[str, Any] = {"tls-verify": verify}
    if isinstance(cert, tuple):
        data["request-cert"], data["request-cert-key"] = cert
    elif cert:
        data["request-cert"] = cert
    return data


def quiet_if_insecure(verify: bool | str) -> None:
    """No InsecureRequestWarning on every request: the run says once that it does not
    verify, and every report records it."""
    if verify is False:
        from urllib3.exceptions import InsecureRequestWarning

        warnings.simplefilter("ignore", InsecureRequestWarning)


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    """The error and every error it was made from (causes, contexts, urllib3 reasons)."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen or not isinstance(current, BaseException):
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo += [arg for arg in current.args if isinstance(arg, BaseException)]


def describe_failure(
    error: BaseException,
    url: str,
    ca_bundle: str | None = None,
    ca_origin: str | None = None,
    client_cert: str | None = None,
) -> str | None:
    """One line naming why TLS with the target failed and what fixes it; None when the
    error is not a TLS failure."""
    host = urlsplit(url).netloc or url
    for cause in _chain(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _verification(cause, host, ca_bundle, ca_origin)
    for cause in _chain(error):
        text = f"{getattr(cause, 'reason', '') or ''} {cause}".upper()
        if "CERTIFICATE_REQUIRED" in text or "CERTIFICATE REQUIRED" in text:
            return f"{host} asks for a client certificate and none was given: give {CLIENT_FIX}"
        if client_cert and any(alert in text for alert in REFUSED_CLIENT_ALERTS):
            return (
                f"{host} refused the client certificate {client_cert} "
                f"({_reason(cause)}): give one its CA accepts with --client-cert"
            )
        if not client_cert and "HANDSHAKE_FAILURE" in text:
            return (
                f"the TLS handshake with {host} failed ({_reason(cause)}): if it asks for a "
                f"client certificate, give {CLIENT_FIX}"
            )
        if "WRONG_VERSION_NUMBER" in text or "RECORD_LAYER_FAILURE" in text:
            return f"{host} does not answer in TLS ({_reason(cause)}): is it http://?"
    for cause in _chain(error):
        # a server that refuses the handshake may close the connection before its alert is
        # read (a TLS 1.3 server checks the client's certificate after the client is done)
        if not client_cert and isinstance(cause, ssl.SSLEOFError):
            return (
                f"the TLS connection with {host} was closed during the handshake "
                f"({_reason(cause)}): if it asks for a client certificate, give {CLIENT_FIX}"
            )
    for cause in _chain(error):
        if isinstance(cause, ssl.SSLError):
            return f"TLS with {host} failed ({_reason(cause)})"
    return None


def _reason(error: BaseException) -> str:
    return str(getattr(error, "verify_message", "") or getattr(error, "reason", "") or error)


def _verification(
    error: ssl.SSLCertVerificationError, host: str, bundle: str | None, origin: str | None
) -> str:
    code, said = error.verify_code, error.verify_message or str(error)
    if code in UNKNOWN_ISSUER:
        where = (
            f"is not signed by a CA of {origin or '--ca-bundle'} {bundle}"
            if bundle
            else "is signed by an issuer this machine does not know"
        )
        return (
            f"the TLS certificate of {host} {where} ({said}): give the CA that signed it "
            f"with {CA_FIX}, or {INSECURE_FIX}"
        )
    if code in EXPIRED or code in NOT_YET_VALID:
        state = "has expired" if code in EXPIRED else "is not valid yet"
        return (
            f"the TLS certificate of {host} {state} ({said}): the endpoint must renew it; "
            f"or {INSECURE_FIX}"
        )
    if code in NAME_MISMATCH:
        return (
            f"the TLS certificate of {host} is not issued for that name ({said}): give "
            f"--target with a host name the certificate names, or {INSECURE_FIX}"
        )
    return (
        f"the TLS certificate of {host} cannot be verified ({said}): give the CA that signed "
        f"it with {CA_FIX}, or {INSECURE_FIX}"
    )


def describe_target(target: Any) -> dict[str, Any] | None:
    """What summary.json says of TLS (target.tls): None for a plain-HTTP target."""
    url = target.url or ""
    if not url.startswith("https://"):
        return None
    return {
        "verified": not target.insecure,
        "ca_bundle": None if target.insecure else target.ca_bundle,
        "client_certificate": bool(target.client_cert),
    }


def failure_for(error: BaseException, target: Any) -> str | None:
    """describe_failure with the target's own settings."""
    return describe_failure(
        error, target.url or "", target.ca_bundle, target.ca_bundle_origin, target.client_cert
    )
