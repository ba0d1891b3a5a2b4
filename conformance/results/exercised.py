"""What one exchange exercised of the contract: the status it answered, the query values it
sent, the listed values of its body and the links it followed (conformance.results.coverage
reads the contract and turns the tally into figures). Pure: called by the recording on every
exchange it counts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from conformance.results.coverage import (
    ANY_VALUE,
    JOINED_FORMATS,
    OTHER_VALUE,
    Link,
    links,
    operations,
    query_parameters,
    value_positions,
)


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(f"^{pattern}/?$")


_PATTERNS: dict[str, re.Pattern[str]] = {}


def request_parameters(label: str, url: str) -> dict[str, dict[str, str]]:
    """The path and query parameters of a request of `label` ({"path": ..., "query": ...})."""
    operation = operations()[label]
    pattern = _PATTERNS.setdefault(label, _template_pattern(operation.template))
    parts = urlsplit(url)
    path = {}
    for start in range(len(parts.path)):  # the base URL may have a path of its own
        if parts.path[start] != "/":
            continue
        matched = pattern.match(parts.path[start:])
        if matched:
            path = {key: unquote(value) for key, value in matched.groupdict().items()}
            break
    return {"path": path, "query": dict(parse_qsl(parts.query, keep_blank_values=True))}


def _values_at(body: Any, path: tuple[str, ...]) -> Iterable[Any]:
    if not path:
        yield body
        return
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(body, list):
        for item in body:
            yield from _values_at(item, rest)
    elif isinstance(body, dict) and head in body:
        yield from _values_at(body[head], rest)


def request_facts(
    label: str,
    method: str,
    url: str,
    request_body: str | None,
    status: int,
    lists: Mapping[str, Iterable[str]],
) -> dict[str, Any]:
    """What one exchange of the operation `label` exercised: its status (when the request
    used the operation's own method), the query parameters it sent with their documented
    values, and the listed values its JSON body used."""
    operation = operations().get(label)
    facts: dict[str, Any] = {"status": None, "query": {}, "values": {}}
    if operation is None or method.upper() != operation.method:
        return facts
    facts["status"] = str(status)
    sent = request_parameters(label, url)["query"]
    for name, meaningful in query_parameters().get(label, {}).items():
        if name in sent:
            value = sent[name]
            if not meaningful:
                facts["query"][name] = ANY_VALUE
            else:
                facts["query"][name] = value if value in meaningful else OTHER_VALUE
    positions = value_positions().get(label, ())
    if positions and request_body:
        try:
            body = json.loads(request_body)
        except ValueError:
            body = None
        for path, list_id, format_name, _ in positions:
            known = set(lists.get(list_id, ()))
            for value in _values_at(body, path):
                if not isinstance(value, str):
                    continue
                joiner = JOINED_FORMATS.get(format_name)
                used = {value, *(value.split(joiner) if joiner else ())} & known
                if used:
                    facts["values"].setdefault(list_id, set()).update(used)
    return facts


def link_sources(
    label: str, status: int, parameters: dict[str, dict[str, str]], body: Any
) -> list[tuple[Link, dict[str, str]]]:
    """The links an answer opens: each with the parameter values its expressions take."""
    opened = []
    for link in links():
        if link.source != label or link.status != str(status):
            continue
        values = {}
        for name, expression in link.parameters:
            value = _evaluate(expression, parameters, body)
            if value is None:
                break
            values[name] = value
        else:
            opened.append((link, values))
    return opened


def _evaluate(expression: str, parameters: dict[str, dict[str, str]], body: Any) -> str | None:
    if expression.startswith("$request."):
        where, _, name = expression.removeprefix("$request.").partition(".")
        value = parameters.get(where, {}).get(name)
        return None if value is None else str(value)
    if expression.startswith("$response.body#"):
        node = body
        pointer = expression.removeprefix("$response.body#")
        for part in pointer.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return None
        return None if isinstance(node, (dict, list)) or node is None else str(node)
    return None


def follows(link: Link, values: dict[str, str], parameters: dict[str, dict[str, str]]) -> bool:
    """Whether a request with `parameters` follows `link` opened with `values`."""
    sent = {**parameters.get("query", {}), **parameters.get("path", {})}
    return all(sent.get(name) == value for name, value in values.items())
