"""Keep secrets out of every report, log and curl line. Pure functions."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
SECRET_HEADERS = frozenset({"authorization", "x-yubikey-otp", "cookie", "set-cookie"})
SECRET_FIELDS = frozenset({"root_password", "password", "yubikey", "2fa", "token", "api_key"})


def secret_variants(secrets: Iterable[str], user: str | None = None) -> list[str]:
    """Every form a secret may take on the wire (as is, and inside a Basic header)."""
    found = [secret for secret in secrets if secret]
    if user:
        for secret in list(found):
            found.append(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return sorted(set(found), key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced."""
    for secret in secrets:
        if len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    return text


CREDENTIAL_LINE = re.compile(
    r"(?i)((?:authorization|x-yubikey-otp)['\"]?\s*[:=]\s*['\"]?)(?:(basic|bearer)\s+)?[^'\"\s,}]+"
)


def redact_message(text: str, secrets: Iterable[str]) -> str:
    """A free-text message (a failure, a curl line) with credentials and secrets replaced."""
    text = CREDENTIAL_LINE.sub(
        lambda match: match.group(1) + (f"{match.group(2)} " if match.group(2) else "") + REDACTED,
        text,
    )
    text = re.sub(
        r"(?i)(\"(?:root_password|password|yubikey|2fa)\"\s*:\s*)\"(?:[^\"\\]|\\.)*\"",
        rf'\1"{REDACTED}"',
        text,
    )
    return redact_text(text, secrets)


def redact_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """Headers with the credential-bearing ones replaced."""
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }


def redact_value(value: Any) -> Any:
    """A JSON value with the secret-bearing fields replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if str(key).lower() in SECRET_FIELDS else redact_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    return value


def redact_body(body: str, secrets: Iterable[str]) -> str:
    """A request or response body (JSON or not) with secrets replaced."""
    lowered = body.lower()
    if not any(field in lowered for field in SECRET_FIELDS):
        return redact_text(body, secrets)  # no secret-bearing field: kept as sent
    try:
        text = json.dumps(redact_value(json.loads(body)), ensure_ascii=False)
    except (ValueError, TypeError):
        text = re.sub(
            r"(?i)\b(password|root_password|yubikey|2fa)=[^&\s]*", rf"\1={REDACTED}", body
        )
    return redact_text(text, secrets)
