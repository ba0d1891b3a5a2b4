"""HTTP replies, and the errors handlers raise that the router turns into replies."""

import json
from dataclasses import dataclass, field

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain"


@dataclass
class Reply:
    """A complete answer: status, content type, body bytes, extra headers."""

    status: int
    content_type: str | None = None
    body: bytes = b""
    headers: list = field(default_factory=list)


def json_reply(status: int, payload, headers: list | None = None) -> Reply:
    """JSON answer (ASCII-escaped, so any string is safe)."""
    return Reply(status, JSON_TYPE, json.dumps(payload).encode("ascii"), headers or [])


def text_reply(status: int, text: str, headers: list | None = None) -> Reply:
    """text/plain answer."""
    return Reply(status, TEXT_TYPE, text.encode("utf-8"), headers or [])


def no_content() -> Reply:
    """204 with an empty body."""
    return Reply(204)


class HttpError(Exception):
    """An error answer: status, JSON payload (or text), extra headers."""

    def __init__(self, status: int, payload, headers: list | None = None, text: bool = False):
        super().__init__(status)
        self.status = status
        self.payload = payload
        self.headers = headers or []
        self.text = text

    def reply(self) -> Reply:
        """The answer for this error."""
        if self.text:
            return text_reply(self.status, str(self.payload), self.headers)
        return json_reply(self.status, self.payload, self.headers)


def refuse(field: str, message: str) -> HttpError:
    """A 400 with one field message (validation or refusal by state)."""
    return HttpError(400, {field: [message]})


def not_found() -> HttpError:
    """404 for unknown or invisible resources."""
    return HttpError(404, {"error": "not found"})


def forbidden() -> HttpError:
    """403 for resources the user may read but not modify."""
    return HttpError(403, {"error": "you may view but not modify this resource"})


def method_not_allowed(allowed: list[str]) -> HttpError:
    """405 with an Allow header."""
    allow = ", ".join(allowed + (["HEAD"] if "GET" in allowed else []))
    return HttpError(405, {"error": "method not allowed"}, [("Allow", allow)])


class Errors:
    """Collects validation messages: field -> [messages]."""

    def __init__(self):
        self.fields: dict[str, list] = {}

    def add(self, field: str, message: str) -> None:
        """Record one message for a field."""
        self.fields.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        """Raise a 400 carrying every message so far."""
        if self.fields:
            raise HttpError(400, self.fields)
