"""Talking to a target over HTTP: credentials, one-time passwords and recorded exchanges.

The suite reaches every target, the embedded emulator included, only through this module's
session. Each exchange is kept in a redacted form that reports can show and a curl line
that reproduces it (credentials replaced by environment variables).
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import shlex
import subprocess
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from conformance.target import redaction, tls, transport
from conformance.target.configuration import Target

BODY_LIMIT = 4000  # characters of a body kept in an exchange


class OtpCommandFailed(Exception):
    """The --otp-command did not give a one-time password; the message is one line."""


@dataclass(frozen=True)
class Exchange:
    """One request and its response, already redacted."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int
    response_headers: dict[str, str]
    response_body: str
    elapsed: float
    auth_scheme: str = ""  # "Basic" or "Bearer": how the request authenticated

    def curl(self) -> str:
        """A curl line that sends the same request, credentials from the environment."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            lowered = name.lower()
            if lowered == "authorization":
                scheme = self.auth_scheme
                credential = (
                    '-u "$BIGV_USER:$BIGV_PASSWORD"'
                    if scheme.lower() == "basic"
                    else '-H "Authorization: Bearer $BIGV_TOKEN"'
                )
                parts.append(credential)
            elif lowered == "x-yubikey-otp":
                parts.append('-H "X-Yubikey-Otp: $BIGV_OTP"')
            elif lowered in {"content-type", "accept"}:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body:
            parts += ["--data-binary", shlex.quote(self.request_body)]
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": self.request_headers,
                "body": self.request_body,
            },
            "response": {
                "status": self.status,
                "headers": self.response_headers,
                "body": self.response_body,
                "elapsed": round(self.elapsed, 4),
            },
            "curl": self.curl(),
        }


def _text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return str(body)


class Credentials:
    """The headers that authenticate a request to the target."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.secrets = redaction.secret_variants(target.secrets(), target.user)

    def otp(self) -> str | None:
        """The one-time password for the next request (a fresh one from the command)."""
        if not self.target.otp_command:
            return self.target.otp
        try:
            result = subprocess.run(
                shlex.split(self.target.otp_command),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise OtpCommandFailed(f"--otp-command failed: {error}") from None
        value = result.stdout.strip()
        if result.returncode != 0 or not value:
            raise OtpCommandFailed(
                f"--otp-command exited {result.returncode} without a one-time password"
            )
        self.secrets = sorted({*self.secrets, value}, key=len, reverse=True)
        return value

    def headers(self) -> dict[str, str]:
        """Authorization (and X-Yubikey-Otp) for one request."""
        if self.target.token:
            return {"Authorization": f"Bearer {self.target.token}"}
        pair = f"{self.target.user}:{self.target.password}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        otp = self.otp()
        if otp:
            headers["X-Yubikey-Otp"] = otp
        return headers


def record(response: Any, secrets: list[str], elapsed: float | None = None) -> Exchange:
    """The redacted exchange of a `requests` or schemathesis response."""
    request = response.request
    request_body = _text(getattr(request, "body", None))
    headers = {
        name: ", ".join(value) if isinstance(value, list) else str(value)
        for name, value in dict(response.headers).items()
    }
    content = response.content if hasattr(response, "content") else b""
    body = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    if elapsed is None:
        raw = getattr(response, "elapsed", 0.0)
        elapsed = raw.total_seconds() if hasattr(raw, "total_seconds") else float(raw)
    authorization = str(dict(request.headers).get("Authorization", ""))
    return Exchange(
        auth_scheme=authorization.split(" ", 1)[0] if authorization else "",
        method=request.method,
        url=redaction.redact_text(request.url, secrets),
        request_headers=redaction.redact_headers(dict(request.headers)),
        request_body=redaction.redact_body(request_body, secrets)[:BODY_LIMIT]
        if request_body
        else None,
        status=response.status_code,
        response_headers=redaction.redact_headers(headers),
        response_body=redaction.redact_body(body, secrets)[:BODY_LIMIT],
        elapsed=elapsed,
    )


def json_or_none(response: Any) -> Any:
    """The response body as JSON, or None when it is not JSON."""
    try:
        return json.loads(response.content or b"null")
    except (ValueError, TypeError):
        return None


def run_workers() -> int:
    """How many pytest processes the run has (xdist tells its workers; 1 without xdist)."""
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)


def process_rate(target: Target) -> float | None:
    """This process's share of --rate-limit: the run's pytest workers split it evenly."""
    if not target.rate_limit:
        return None
    return target.rate_limit / run_workers()


class TargetSession(requests.Session):
    """A session whose TLS is the target's, and whose proxies are the environment's
    (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY), looked up as `requests` does but once per
    scheme and host, not on every request: that lookup cost more than the request itself.
    `requests` would also let REQUESTS_CA_BUNDLE override the session's own `verify`
    (--ca-bundle, --insecure); here the target's settings hold."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # the environment is read below, once per host
        self._environment_proxies: dict[tuple[str, str], dict[str, str]] = {}

    def environment_proxies(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._environment_proxies:
            self._environment_proxies[key] = requests.utils.get_environ_proxies(url)
        return self._environment_proxies[key]

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        proxies = {**self.environment_proxies(str(url)), **(proxies or {})}
        return {
            "proxies": requests.sessions.merge_setting(proxies, self.proxies),
            "stream": requests.sessions.merge_setting(stream, self.stream),
            "verify": requests.sessions.merge_setting(verify, self.verify),
            "cert": requests.sessions.merge_setting(cert, self.cert),
        }


def new_session(target: Target, *, cookies: bool = True) -> requests.Session:
    """A keep-alive session with the headers every BigV client sends, rate-limited (one cap
    for the whole process: its share of the run's) and retrying 429 and 503; `cookies=False`
    for one that never keeps a cookie (schemathesis' probes: nothing of the run may ride
    along). TLS is the target's (`Target.verify`, `Target.cert`: --ca-bundle,
    REQUESTS_CA_BUNDLE, --insecure, --client-cert); the proxies the environment's."""
    session = TargetSession()
    session.headers.update({"Accept": "application/json", "User-Agent": "bigv-conformance"})
    adapter = transport.PoliteAdapter(transport.shared_limiter(process_rate(target)))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = target.verify
    session.cert = target.cert
    tls.quiet_if_insecure(target.verify)
    if not cookies:
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return session
