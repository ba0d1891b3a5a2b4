"""Requests validated against the spec itself: no schema is written twice.

Body schemas are the OpenAPI documents' own (operation -> requestBody -> media type ->
schema), with `$ref`s resolved through one `referencing` registry over the whole documents
(JSON Schema draft 2020-12, as OpenAPI 3.1 says). Path and query parameters are converted
from text by their schema's type and validated by that schema. jsonschema's errors become the
400 field hash of bigv-api.md section 7. Attributes the schema does not declare are dropped
(the API ignores them), so the model only ever sees declared ones.

Emulator policies enforced here, beside the schemas: booleans are not integers, floats are
not integers, integers above `model.MAX_INTEGER` are "too large", strings must be encodable
as UTF-8, and `bigv-*` formats take their values from the definitions table (via the model).
The keyword `x-read-only: true` refuses any value ("is read-only"); only the divergent mode's
schemas use it (`emulator/divergent.py`, read-only-attributes-put).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import spec
from emulator.errors import NotFound, ValidationFailed
from emulator.model import MAX_INTEGER, NOT_IN_LIST

API_URI = "urn:bigv:api"  # where the registry holds spec/bigv.openapi.yaml
AUTH_URI = "urn:bigv:auth"  # and spec/auth.openapi.yaml
TOO_LARGE = "is too large"
READ_ONLY = "is read-only"
INVALID = "is invalid"
BLANK = "can't be blank"
_UNSEEN, _INVALID = object(), object()
_PATH_CACHE_SIZE = 4096
_BOOLEAN_TEXT = {"true": True, "1": True, "false": False, "0": False}
_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


_draft_type = Draft202012Validator.VALIDATORS["type"]


def _strict_integer(_checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _type_with_policies(
    validator: Any, types: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterable[ValidationError]:
    """The `type` keyword, plus the emulator's limits on integers and strings."""
    errors = list(_draft_type(validator, types, instance, schema))
    yield from errors
    if errors:
        return
    if _strict_integer(None, instance) and abs(instance) > MAX_INTEGER:
        yield ValidationError(TOO_LARGE, validator="x-range")
    elif isinstance(instance, str):
        try:
            instance.encode("utf-8")
        except UnicodeEncodeError:
            yield ValidationError(INVALID, validator="x-encoding")


def _read_only(
    _validator: Any, read_only: Any, _instance: Any, _schema: Mapping[str, Any]
) -> Iterable[ValidationError]:
    """`x-read-only: true`: an attribute a request may not send."""
    if read_only is True:
        yield ValidationError(READ_ONLY, validator="x-read-only")


_Validator = validators.extend(
    Draft202012Validator,
    validators={"type": _type_with_policies, "x-read-only": _read_only},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


@dataclass
class Parameter:
    """A path or query parameter of one operation."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    validator: Any


@dataclass
class Operation:
    """What the spec says an operation accepts."""

    operation_id: str
    method: str
    path: str
    document: Mapping[str, Any]
    secured: bool
    body_required: bool = False
    bodies: dict[str, tuple[Mapping[str, Any], Any]] = field(default_factory=dict)
    parameters: list[Parameter] = field(default_factory=list)
    responses: dict[str, str | None] = field(default_factory=dict)

    def response_media(self, status: int) -> str | None:
        """The first media type the spec declares for a response status, if any."""
        return self.responses.get(str(status))


def _pointer(parts: Iterable[str]) -> str:
    return "/".join(
        quote(str(part).replace("~", "~0").replace("/", "~1"), safe="~") for part in parts
    )


def _locate(document: Mapping[str, Any], parts: list[str]) -> tuple[Any, list[str]]:
    """Walk `parts` from the root, following `$ref`s on the way; (node, its own pointer)."""
    node: Any = document
    pointer: list[str] = []
    for part in parts:
        while isinstance(node, dict) and "$ref" in node:
            pointer = [
                p.replace("~1", "/").replace("~0", "~")
                for p in node["$ref"].removeprefix("#/").split("/")
            ]
            node = spec.resolve(document, node)
        node = node[int(part)] if isinstance(node, list) else node[part]
        pointer.append(part)
    return node, pointer


def messages_for(error: ValidationError) -> list[str]:
    """Rails-style messages (bigv-api.md section 7) for one jsonschema error."""
    keyword, value = error.validator, error.validator_value
    if keyword in ("x-range", "x-encoding", "x-read-only"):
        return [error.message]
    if keyword == "type":
        names = [value] if isinstance(value, str) else list(value)
        return ["is not " + " or ".join(_TYPE_NAMES.get(name, name) for name in names)]
    if keyword == "required" or (keyword == "minLength" and error.instance == ""):
        return [BLANK]
    if keyword in ("enum", "const"):
        return [NOT_IN_LIST]
    if keyword == "format":
        return [NOT_IN_LIST if str(value).startswith("bigv-") else INVALID]
    plural = "" if value == 1 else "s"
    texts: dict[str, str] = {
        "minimum": f"must be greater than or equal to {value}",
        "maximum": f"must be less than or equal to {value}",
        "exclusiveMinimum": f"must be greater than {value}",
        "exclusiveMaximum": f"must be less than {value}",
        "minLength": f"is too short (minimum is {value} character{plural})",
        "maxLength": f"is too long (maximum is {value} character{plural})",
        "minItems": f"is too short (minimum is {value} item{plural})",
        "maxItems": f"is too long (maximum is {value} item{plural})",
        "minProperties": BLANK,
    }
    return [texts.get(keyword, INVALID)]


def _fields_of(error: ValidationError) -> list[list[Any]]:
    """The instance paths an error is about (`required` names the missing attributes)."""
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        return [[*path, name] for name in error.validator_value if name not in error.instance]
    return [path]


def _place(fields: dict[str, Any], path: list[Any], message: str, instance: Any) -> None:
    """Put one message into the field hash: objects flatten, arrays give one hash per item."""
    while len(path) >= 2 and isinstance(path[1], str):
        instance = instance.get(path[0]) if isinstance(instance, dict) else None
        path = path[1:]
    key = str(path[0]) if path else "body"
    if len(path) <= 1:
        entry = fields.setdefault(key, [])
        if message not in entry:
            entry.append(message)
        return
    items = instance.get(path[0]) if isinstance(instance, dict) else None
    entry = fields.setdefault(key, [])
    hashes = [item for item in entry if isinstance(item, dict)]
    size = max(path[1] + 1, len(items) if isinstance(items, list) else 0)
    while len(hashes) < size:
        hashes.append({})
        entry.append(hashes[-1])
    item = items[path[1]] if isinstance(items, list) and path[1] < len(items) else None
    _place(hashes[path[1]], path[2:], message, item)


def field_hash(errors: Iterable[ValidationError], instance: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    ordered = sorted(errors, key=lambda e: [str(part) for part in e.absolute_path])
    for error in ordered:
        for path in _fields_of(error):
            for message in messages_for(error):
                _place(fields, path, message, instance)
    return _blank_says_it_all(fields)


def _blank_says_it_all(fields: dict[str, Any]) -> dict[str, Any]:
    """A blank value is reported as blank only (not also too short or invalid)."""
    for key, messages in fields.items():
        if BLANK in messages:
            fields[key] = [BLANK, *[m for m in messages if isinstance(m, dict)]]
        else:
            for item in messages:
                if isinstance(item, dict):
                    _blank_says_it_all(item)
    return fields


def prune(document: Mapping[str, Any], schema: Any, instance: Any) -> Any:
    """`instance` without the object attributes that `schema` does not declare."""
    schema = spec.resolve(document, schema)
    if not isinstance(schema, dict):
        return instance
    if isinstance(instance, dict) and "properties" in schema:
        if "additionalProperties" in schema:
            return instance
        return {
            key: prune(document, schema["properties"][key], value)
            for key, value in instance.items()
            if key in schema["properties"]
        }
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return [prune(document, schema["items"], item) for item in instance]
    return instance


def convert(text: str, schema: Mapping[str, Any]) -> Any:
    """A parameter's text as the type its schema declares (unchanged when it does not fit)."""
    kind = schema.get("type")
    if kind == "boolean":
        return _BOOLEAN_TEXT.get(text.lower(), text)
    if kind == "integer" and text.isascii() and text.lstrip("-").isdigit():
        return int(text)
    return text


class SpecValidator:
    """Validators for every operation of the given OpenAPI documents."""

    def __init__(
        self,
        documents: Mapping[str, Mapping[str, Any]],
        format_ok: Callable[[str, Any], bool],
    ) -> None:
        self.registry: Registry = Registry().with_resources(
            (uri, Resource.from_contents(dict(doc), default_specification=DRAFT202012))
            for uri, doc in documents.items()
        )
        self.format_checker = FormatChecker(formats=())
        for document in documents.values():
            for name in document.get("x-definition-formats", {}):
                self.format_checker.checks(name)(lambda value, name=name: format_ok(name, value))
        self._path_values: dict[tuple[str, str, str], Any] = {}  # verdicts of path values seen
        self.operations: dict[str, Operation] = {}
        for uri, document in documents.items():
            for operation_id, (method, path, _) in spec.operations(dict(document)).items():
                self.operations[operation_id] = self._operation(
                    uri, document, operation_id, method, path
                )

    def _validator(self, uri: str, pointer: list[str]) -> Any:
        return _Validator(
            {"$ref": f"{uri}#/{_pointer(pointer)}"},
            registry=self.registry,
            format_checker=self.format_checker,
        )

    def _operation(
        self, uri: str, document: Mapping[str, Any], operation_id: str, method: str, path: str
    ) -> Operation:
        base = ["paths", path, method.lower()]
        operation, _ = _locate(document, base)
        # Credentials are needed unless no requirement is listed, or an empty one (`{}`) is.
        security = operation.get("security", document.get("security", []))
        secured = bool(security) and all(security)
        result = Operation(operation_id, method, path, document, secured=secured)
        for code, response in operation["responses"].items():
            content = spec.resolve(document, response).get("content", {})
            result.responses[str(code)] = next(iter(content), None)
        merged: dict[tuple[str, str], list[str]] = {}
        for owner in (["paths", path], base):
            node, _ = _locate(document, owner)
            for index in range(len(node.get("parameters", []))):
                parameter, _ = _locate(document, [*owner, "parameters", str(index)])
                parameter = spec.resolve(document, parameter)
                merged[(parameter["name"], parameter["in"])] = [*owner, "parameters", str(index)]
        for (name, location), parts in merged.items():
            parameter = spec.resolve(document, _locate(document, parts)[0])
            _, pointer = _locate(document, [*parts, "schema"])
            schema = spec.resolve(document, parameter["schema"])
            # A schema without references is validated as it is (no lookups on every request).
            validator = (
                self._validator(uri, pointer)
                if "$ref" in json.dumps(schema)
                else _Validator(schema, format_checker=self.format_checker)
            )
            result.parameters.append(
                Parameter(
                    name=name,
                    location=location,
                    required=bool(parameter.get("required", False)),
                    schema=schema,
                    validator=validator,
                )
            )
        if "requestBody" in operation:
            body, _ = _locate(document, [*base, "requestBody"])
            body = spec.resolve(document, body)
            result.body_required = bool(body.get("required", False))
            for media in body.get("content", {}):
                schema, pointer = _locate(
                    document, [*base, "requestBody", "content", media, "schema"]
                )
                result.bodies[media] = (schema, self._validator(uri, pointer))
        return result

    def schema_messages(self, uri: str, schema_name: str, instance: Any) -> list[str]:
        """Messages for `instance` against a named component schema (empty when valid)."""
        validator = self._validator(uri, ["components", "schemas", schema_name])
        return [
            message for error in validator.iter_errors(instance) for message in messages_for(error)
        ]

    def path_parameters(self, operation: Operation, values: Mapping[str, str]) -> dict[str, Any]:
        """Converted path parameters; one that its schema refuses names nothing (404)."""
        converted: dict[str, Any] = {}
        for parameter in operation.parameters:
            if parameter.location != "path":
                continue
            text = values[parameter.name]
            key = (operation.operation_id, parameter.name, text)
            value = self._path_values.get(key, _UNSEEN)
            if value is _UNSEEN:
                value = convert(text, parameter.schema)
                if not parameter.validator.is_valid(value):
                    value = _INVALID
                if len(self._path_values) >= _PATH_CACHE_SIZE:
                    self._path_values.clear()
                self._path_values[key] = value
            if value is _INVALID:
                raise NotFound(f"no such {parameter.name.replace('_', ' ')}: {text!r}")
            converted[parameter.name] = value
        return converted

    def query_parameters(self, operation: Operation, args: Mapping[str, str]) -> dict[str, Any]:
        """The declared query parameters, converted, defaulted and validated (400 if bad)."""
        converted: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        for parameter in operation.parameters:
            if parameter.location != "query":
                continue
            if parameter.name not in args:
                if parameter.required:
                    fields[parameter.name] = [BLANK]
                elif "default" in parameter.schema:
                    converted[parameter.name] = parameter.schema["default"]
                continue
            value = convert(args[parameter.name], parameter.schema)
            errors = list(parameter.validator.iter_errors(value))
            if errors:
                fields[parameter.name] = [m for e in errors for m in messages_for(e)]
            else:
                converted[parameter.name] = value
        if fields:
            raise ValidationFailed(fields)
        return converted

    def body(self, operation: Operation, media: str, instance: Any) -> Any:
        """The body, validated against the operation's schema for `media` and pruned."""
        schema, validator = operation.bodies[media]
        errors = list(validator.iter_errors(instance))
        if errors:
            raise ValidationFailed(field_hash(errors, instance))
        return prune(operation.document, schema, instance)
