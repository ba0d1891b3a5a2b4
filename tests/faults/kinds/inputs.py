"""The faults in what the target takes in: invalid input accepted, authentication not
enforced, another account readable, a server error on odd input, any request content type."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.faults.kinds.common import TAKEN, echo, is_success, refused_by_state
from tests.faults.proxy import Fault, Request, Response, Upstream, json_response

# -- validation ----------------------------------------------------------------------------------


@dataclass
class IgnoreInvalid(Fault):
    """A request of `operations` refused for bad values is sent again without the attributes
    the error names (and a valid name instead of a bad one); that answer is given."""

    operations: frozenset[str] = frozenset({"updateVirtualMachine"})
    counter: Any = field(default_factory=itertools.count, init=False, repr=False)

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        body = request.json
        if request.operation not in self.operations or response.status != 400:
            return response
        errors = response.json
        if not isinstance(body, dict) or not isinstance(errors, dict) or refused_by_state(response):
            return response
        if any(TAKEN in json.dumps(messages) for messages in errors.values()):
            return response
        fixed = {key: value for key, value in body.items() if key not in errors}
        if request.operation == "createVirtualMachine" and "name" in errors:
            fixed["name"] = f"lenient{next(self.counter)}-{int(time.time() * 1000) % 100000}"
        retried = upstream.send(request.with_json(fixed))
        return retried if is_success(retried) else response


@dataclass
class AcceptInvalidAction(Fault):
    """A signal or reimage refused for bad values is answered 200, echoing the request."""

    operations: frozenset[str] = frozenset({"signalVirtualMachine"})

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation not in self.operations or response.status != 400:
            return response
        if refused_by_state(response) or not isinstance(request.json, dict):
            return response
        return echo(request)


# -- authentication --------------------------------------------------------------------------


@dataclass
class InjectCredentials(Fault):
    """Requests whose credentials `needs_help` dislikes are sent with good ones instead."""

    user: str = "alice"
    password: str = "secret"
    otp: str = "cccccbcdefghijklnrtuvcbdefghijklnrtuv"
    needs_help: Callable[[Request, str], bool] = field(default=lambda request, good: False)

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        pair = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        good = f"Basic {pair}"
        if not self.needs_help(request, good):
            return request
        return request.with_header("Authorization", good).with_header("X-Yubikey-Otp", self.otp)


def no_credentials(request: Request, good: str) -> bool:
    return not request.header("Authorization")


def wrong_basic_credentials(request: Request, good: str) -> bool:
    header = request.header("Authorization") or ""
    return header.lower().startswith("basic ") and header != good


def missing_or_bad_otp(request: Request, good: str) -> bool:
    otp = request.header("X-Yubikey-Otp")
    return request.header("Authorization") == good and (
        otp is None or not (32 <= len(otp) <= 48 and set(otp) <= set("cbdefghijklnrtuv"))
    )


@dataclass
class RewriteAccount(Fault):
    """Paths of account `foreign` are served from account `own`: another account readable."""

    foreign: str = "foreign"
    own: str = "conformance"

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        prefix = f"/accounts/{self.foreign}"
        if request.path == prefix or request.path.startswith(prefix + "/"):
            path = f"/accounts/{self.own}" + request.path[len(prefix) :]
            return dataclasses.replace(request, path=path)
        return request


# -- robustness ------------------------------------------------------------------------------


@dataclass
class ServerErrorOn(Fault):
    """Requests that `unusual` picks answer 500 (a crash), whatever they are."""

    unusual: Callable[[Request], bool] = field(default=lambda request: False)

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        if request.operation is not None and self.unusual(request):
            return json_response(500, {"error": "internal server error"})
        return request


def non_ascii(request: Request) -> bool:
    text = request.body.decode("utf-8", "replace") + unquote(request.path + request.query)
    return any(ord(character) > 127 for character in text)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)] + [
            key for key in value if isinstance(key, str)
        ]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def long_string(request: Request) -> bool:
    return any(len(text) > 63 for text in _strings(request.json))


def not_an_object(request: Request) -> bool:
    if not request.body:
        return False
    try:
        body = json.loads(request.body)
    except ValueError:
        return True
    return not isinstance(body, dict)


# -- request content type ----------------------------------------------------------------------


@dataclass
class AnyContentType(Fault):
    """A body is read as JSON whatever Content-Type it came with (never 415)."""

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        if request.operation is None or not request.body:
            return request
        content_type = (request.header("Content-Type") or "").lower()
        if content_type.startswith("application/json"):
            return request
        if request.path.startswith("/session"):
            return request
        return request.with_header("Content-Type", "application/json")
