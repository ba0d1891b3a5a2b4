"""Per-request context handed to handlers: state, user, query, body."""

import json
from dataclasses import dataclass

from .auth import JSON_RE, media_type
from .errors import HttpError
from .store import State, User

TRUE_VALUES = ("true", "True", "1")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


@dataclass
class Ctx:
    """What a handler needs to answer one request."""

    state: State
    user: User
    method: str
    query: dict
    headers: dict
    body: bytes

    def flag(self, name: str) -> bool:
        """A boolean query parameter (include_deleted, purge)."""
        return self.query.get(name) in TRUE_VALUES

    @property
    def overview(self) -> bool:
        """view=overview was asked for."""
        return self.query.get("view") == "overview"

    def json(self) -> dict:
        """The body as a JSON object; 415 or 400 otherwise; empty body is {}."""
        mtype = media_type(self.headers)
        if mtype and not JSON_RE.fullmatch(mtype):
            raise HttpError(415, {"error": "Content-Type must be application/json"})
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise HttpError(400, {"body": ["is not valid JSON"]}) from None
        if not isinstance(data, dict):
            raise HttpError(400, {"body": ["must be a JSON object"]})
        return data
