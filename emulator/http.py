"""The WSGI application: routes derived from the spec, parsing, auth, one error handler.

Every path of the spec documents becomes a Werkzeug rule whose endpoint is the operationId,
with the spec's methods only: an undocumented method gets 405 and `Allow` for free. A
request is routed, authenticated (unless the operation's `security` is empty), its path,
query and body parsed and validated against the spec, and handed to the operation's handler;
the success status is the spec's. Any `ApiError` becomes its response; anything else is a
logged 500 (there should be none).

Admin endpoints, outside the API's paths and the spec, need no auth:
`POST /_emulator/reset` (back to the seeded state) and `GET /_emulator/health`.

The divergent mode (`emulator/divergent.py`) has its HTTP hooks here: unknown methods (501),
the refusal of a body (400 instead of 413 or 415), an empty PUT, query values it does not
understand (400), the wording of error hashes, refusals as plain text and the media type of
the auth service's refusals.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import MethodNotAllowed as _WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as _WerkzeugNotFound
from werkzeug.http import HTTP_STATUS_CODES, parse_options_header
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wsgi import get_input_stream

import spec
from emulator import divergent
from emulator.config import MAX_BODY_BYTES
from emulator.errors import (
    ApiError,
    MethodNotAllowed,
    MethodNotImplemented,
    NotFound,
    PayloadTooLarge,
    RequestRefused,
    UnsupportedMediaType,
    ValidationFailed,
)
from emulator.handlers import HANDLERS, Answer, Context, PlainText, Services
from emulator.validation import Operation, SpecValidator

log = logging.getLogger("emulator.http")

ADMIN_PREFIX = "/_emulator"
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
_UTF8 = ("utf-8", "utf8")
ROUTE_CACHE_SIZE = 4096  # (method, path) -> endpoint and values, for paths seen again
Response = tuple[int, list[tuple[str, str]], bytes]


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def werkzeug_rule(path: str) -> str:
    """`/a/{b}` (OpenAPI) -> `/a/<b>` (Werkzeug)."""
    return path.replace("{", "<").replace("}", ">")


def json_response(
    status: int, body: Any, headers: Iterable[tuple[str, str]] = (), media_type: str = JSON
) -> Response:
    payload = json.dumps(body, separators=(",", ":")).encode()
    return status, [("Content-Type", media_type), *headers], payload


class App:
    """The emulator's WSGI application."""

    def __init__(
        self,
        services: Services,
        validator: SpecValidator,
        success: dict[str, int],
        reset: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.services = services
        self.validator = validator
        self.success = success
        self.reset = reset
        self.clock = clock
        self.divergence = services.model.divergence
        self.body_limit = (
            divergent.BODY_LIMIT if self.divergence.on("body-size-limit") else MAX_BODY_BYTES
        )
        missing = set(validator.operations) ^ set(HANDLERS)
        if missing:
            raise RuntimeError(f"operations and handlers differ: {sorted(missing)}")
        rules = [
            Rule(werkzeug_rule(op.path), endpoint=op.operation_id, methods=[op.method])
            for op in validator.operations.values()
        ]
        rules.append(Rule(f"{ADMIN_PREFIX}/reset", endpoint="_reset", methods=["POST"]))
        rules.append(Rule(f"{ADMIN_PREFIX}/health", endpoint="_health", methods=["GET"]))
        url_map = Map(rules, merge_slashes=False, strict_slashes=True)
        self.routes = url_map.bind("emulator")
        self._matched: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}

    # --- WSGI ---------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        status, headers, payload = self.respond(environ)
        if status in (204, 304):
            payload = b""
        else:
            headers.append(("Content-Length", str(len(payload))))
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}", headers)
        return [payload]

    def respond(self, environ: dict[str, Any]) -> Response:
        """The response to one request; never raises."""
        operation: Operation | None = None
        try:
            method = environ["REQUEST_METHOD"].upper()
            if method not in divergent.KNOWN_METHODS and self.divergence.on("unknown-methods"):
                raise MethodNotImplemented(method)
            endpoint, values = self._route(environ)
            if endpoint.startswith("_"):
                return self._admin(endpoint)
            operation = self.validator.operations[endpoint]
            return self._call(operation, values, environ)
        except ApiError as error:
            return self._error(error, operation)
        except Exception:
            log.exception(
                "unexpected error on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            )
            return json_response(
                500, {"error": "internal error of the emulator (a bug: please report it)"}
            )

    # --- steps --------------------------------------------------------------------------
    def _route(self, environ: dict[str, Any]) -> tuple[str, dict[str, str]]:
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        method = environ["REQUEST_METHOD"].upper()
        matched = self._matched.get((method, path))
        if matched is not None:
            return matched[0], dict(matched[1])
        try:
            endpoint, values = self.routes.match(path, method=method)
            if len(self._matched) >= ROUTE_CACHE_SIZE:
                self._matched.clear()
            self._matched[(method, path)] = (endpoint, dict(values))
            return endpoint, values
        except (_WerkzeugNotFound, RequestRedirect):
            raise NotFound(f"no such path: {path!r}") from None
        except _WerkzeugMethodNotAllowed as error:
            raise MethodNotAllowed(method, sorted(error.valid_methods or [])) from None

    def _call(
        self, operation: Operation, values: dict[str, str], environ: dict[str, Any]
    ) -> Response:
        now = self.clock()
        headers = EnvironHeaders(environ)
        principal = None
        if operation.secured:
            principal = self.services.authenticator.authenticate(headers, now)
        path = self.validator.path_parameters(operation, values)
        arguments: dict[str, str] = {}
        for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            arguments.setdefault(name, value)
        if self.divergence.on("bad-query-values"):
            self._check_query(operation, arguments)
        query = self.services.model.query(self.validator.query_parameters(operation, arguments))
        body = self._body(operation, environ) if operation.bodies else None
        context = Context(self.services, operation, path, query, body, principal, now)
        result = HANDLERS[operation.operation_id](context)
        status = self.success[operation.operation_id]
        if isinstance(result, PlainText):
            return status, [("Content-Type", TEXT)], result.text.encode()
        if isinstance(result, Answer):
            return json_response(
                result.status or status, result.body, (), result.media_type or JSON
            )
        if status == 204:
            return status, [], b""
        return json_response(status, result)

    def _check_query(self, operation: Operation, arguments: dict[str, str]) -> None:
        """bad-query-values: 400 naming a flag or view whose value is not understood (but on
        the list of groups, which ignores them: group-list-overview)."""
        if operation.operation_id == "listGroups" and self.divergence.on("group-list-overview"):
            return
        declared = [p.name for p in operation.parameters if p.location == "query"]
        errors = divergent.query_errors(declared, arguments)
        if errors:
            raise ValidationFailed(errors)

    def _body(self, operation: Operation, environ: dict[str, Any]) -> Any:
        """The request body, decoded by its media type and validated against the spec."""
        header = environ.get("CONTENT_TYPE", "")
        media, options = parse_options_header(header)
        media = media.lower()
        declared = environ.get("CONTENT_LENGTH", "").strip()
        if self._empty_put(operation) and declared in ("", "0"):
            chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
            if not chunked:
                return self.validator.body(operation, JSON, {})
        if media not in operation.bodies or options.get("charset", "utf-8").lower() not in _UTF8:
            raise self._unsupported(header, operation)
        if declared and (not declared.isdigit()):
            raise ValidationFailed.one("body", "has an invalid Content-Length")
        if declared and int(declared) > self.body_limit:
            raise self._too_large()
        raw = get_input_stream(environ, safe_fallback=True).read(self.body_limit + 1)
        if len(raw) > self.body_limit:
            raise self._too_large()
        if not raw and self._empty_put(operation):
            return self.validator.body(operation, media, {})
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestRefused.one("body", "is not valid UTF-8") from None
        if not text.strip():
            raise RequestRefused.one("body", "can't be blank")
        if media == JSON:
            try:
                instance = json.loads(text, parse_constant=_reject_constant)
            except (ValueError, RecursionError) as error:
                reason = getattr(error, "msg", None) or str(error) or type(error).__name__
                raise RequestRefused.one("body", f"is not valid JSON ({reason})") from None
        else:  # application/x-www-form-urlencoded, where the spec declares it
            instance = dict(parse_qsl(text, keep_blank_values=True))
        if not isinstance(instance, dict) and self.divergence.on("refusal-media-type"):
            raise RequestRefused.one("body", "is not an object")
        return self.validator.body(operation, media, instance)

    def _empty_put(self, operation: Operation) -> bool:
        """put-without-body: a PUT with no body is a PUT of `{}`."""
        return operation.method == "PUT" and self.divergence.on("put-without-body")

    def _unsupported(self, header: str, operation: Operation) -> ApiError:
        """415, or 400 naming `body` (content-type-refusal-status)."""
        if self.divergence.on("content-type-refusal-status"):
            return ValidationFailed.one("body", f"must be {' or '.join(operation.bodies)}")
        return UnsupportedMediaType(header, list(operation.bodies))

    def _too_large(self) -> ApiError:
        """413, or 400 naming `body` (body-size-limit); the rest of the body is not read."""
        if not self.divergence.on("body-size-limit"):
            return PayloadTooLarge(self.body_limit)
        error = ValidationFailed.one("body", f"is larger than {self.body_limit} bytes")
        error.headers["Connection"] = "close"
        return error

    def _admin(self, endpoint: str) -> Response:
        if endpoint == "_reset":
            self.reset()
            return json_response(200, {"reset": True})
        return json_response(200, {"status": "ok", "operations": len(self.validator.operations)})

    def _error(self, error: ApiError, operation: Operation | None) -> Response:
        """An ApiError as JSON, or as plain text where the spec declares text/plain.

        A body the operation cannot take (413, 415) is answered as its documented 400 when
        the spec documents no such status for it (the auth service's `POST /session`).
        """
        if (
            operation is not None
            and isinstance(error, (PayloadTooLarge, UnsupportedMediaType))
            and str(error.status) not in operation.responses
            and "400" in operation.responses
        ):
            error = ValidationFailed.one("body", error.text)
        headers = list(error.headers.items())
        if operation is not None and operation.response_media(error.status) == "text/plain":
            if self.divergence.on("session-error-media-type"):
                return json_response(error.status, {"error": error.text}, headers)
            return error.status, [("Content-Type", TEXT), *headers], error.text.encode()
        if isinstance(error, RequestRefused) and self.divergence.on("refusal-media-type"):
            text = divergent.reason(self.divergence.worded(error.body))
            return error.status, [("Content-Type", TEXT), *headers], text.encode()
        if isinstance(error, ValidationFailed):
            return json_response(error.status, self.divergence.worded(error.body), headers)
        return json_response(error.status, error.body, headers)


def success_statuses(documents: Iterable[dict[str, Any]]) -> dict[str, int]:
    """operationId -> the status its success answers, from the spec."""
    return {
        operation_id: spec.success_status(document, operation_id)
        for document in documents
        for operation_id in spec.operations(document)
    }
