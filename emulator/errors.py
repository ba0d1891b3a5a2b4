"""Domain errors. Each carries its HTTP status and its JSON body; the HTTP layer renders them.

Body formats:
- 400 `ValidationFailed`: the field hash of bigv-api.md section 7, `{"field": ["message", ...]}`
  (Rails-style messages); problems with the body as a whole are under `"body"`; nested
  arrays map to one hash per item, e.g. `{"discs": [{}, {"size": ["..."]}]}`.
- every other error: `{"error": "<one sentence>"}`.

In the divergent mode (`emulator/divergent.py`) a refusal by state may be a 409
`ValidationFailed`, a `RequestRefused` may be answered as one line of text/plain, and a disc
DELETE without purge a `ServerFault` (500, on purpose).
"""

from __future__ import annotations

from typing import Any

# The auth service answers its refusals as plain text (spec/auth.openapi.yaml).
BADLY_FORMED_PARAMETERS = "Badly-formed parameters"


class ApiError(Exception):
    """An error the API answers with `status` and the JSON `body`."""

    status = 500

    def __init__(self, body: Any, status: int | None = None) -> None:
        super().__init__(body)
        self.body = body
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = {}

    @property
    def text(self) -> str:
        """The error as one line of plain text (for operations that answer text/plain)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), str):
            return self.body["error"]
        return str(self.body)


class _Message(ApiError):
    """An error whose body is `{"error": message}`."""

    def __init__(self, message: str) -> None:
        super().__init__({"error": message})


class ValidationFailed(ApiError):
    """400: bad values for known attributes, or a refused state change."""

    status = 400

    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__(fields)

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: [message]})

    @property
    def text(self) -> str:
        """As the auth service words it (its 400s are plain text)."""
        return BADLY_FORMED_PARAMETERS


class RequestRefused(ValidationFailed):
    """400 (the field hash): a request refused as a whole rather than for the value of a known
    attribute: by the state or setup of what it addresses (the rules' refusals, a refused
    delete) or for a body that is not a JSON object. The divergent mode answers its reason
    as one line of text/plain (refusal-media-type)."""


class Refused(ApiError):
    """400 with a plain-text reason (the auth service's refusals)."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__({"error": reason})


class Unauthorized(_Message):
    """401: no credentials, wrong ones, a missing or bad one-time password, a bad token."""

    status = 401

    def __init__(self, message: str = "authentication required") -> None:
        super().__init__(message)
        self.headers["WWW-Authenticate"] = 'Basic realm="BigV", Bearer realm="BigV"'


class Forbidden(_Message):
    """403: the user can read the resource but may not change it."""

    status = 403


class NotFound(_Message):
    """404: no such resource, or one the user holds no privilege on."""

    status = 404


class MethodNotAllowed(_Message):
    """405: the path exists but the spec documents no such method on it."""

    status = 405

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(f"method {method} is not allowed here; allowed: {', '.join(allowed)}")
        self.headers["Allow"] = ", ".join(allowed)


class PayloadTooLarge(_Message):
    """413: the request body is larger than the emulator accepts."""

    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.headers["Connection"] = "close"  # the rest of the body is never read


class MethodNotImplemented(_Message):
    """501: a method the server does not recognise at all (divergent mode: unknown-methods)."""

    status = 501

    def __init__(self, method: str) -> None:
        super().__init__(f"method {method} is not implemented by this server")


class ServerFault(_Message):
    """500 with a JSON body, on purpose (divergent mode: disc-delete-without-purge)."""

    status = 500


class UnsupportedMediaType(_Message):
    """415: the request body is not of a media type the operation accepts."""

    status = 415

    def __init__(self, got: str, accepted: list[str]) -> None:
        shown = got or "none"
        super().__init__(f"content type {shown!r} not supported; send {' or '.join(accepted)}")
