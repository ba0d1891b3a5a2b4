"""Calling the target's operations by operationId, for the hand-written scenarios.

Each call is built as a schemathesis case of the spec's operation, sent over the run's
session, recorded (redacted) and judged by the verdict engine. Every failure is recorded
(the report has it once, as one problem); the scenario goes on past it, and its own steps
judge what they read, so that one wrong attribute does not hide the rest of a target's
behaviour. Only an answer about something else than was asked (`checks.STOPS_THE_STEP`)
fails the scenario at once, with the check's title, the step and a curl line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemathesis.core import NOT_SET

from conformance.judging import checks, verdict
from conformance.run import safety
from conformance.target import client
from conformance.target.context import RunContext

# (operationId, label, exchange, judgement, the answer's decoded JSON)
Recorder = Callable[[str, str, "client.Exchange", verdict.Judgement, Any], None]


@dataclass(frozen=True)
class Reply:
    """A judged response: status, decoded JSON (or None) and the redacted exchange."""

    operation_id: str
    status: int
    json: Any
    headers: dict[str, Any]
    exchange: client.Exchange

    def describe(self) -> str:
        return f"{self.exchange.method} {self.exchange.url} answered {self.status}"


class Api:
    """The target's operations, by operationId."""

    # keyword arguments, alike other signatures in shape only
    def __init__(
        self,
        run: RunContext,
        schema: Any,
        recorder: Recorder | None = None,
        base_url: str | None = None,
        strict: bool = True,
    ) -> None:
        self.run = run
        self.schema = schema
        self.recorder = recorder
        self.base_url = base_url  # None: the target's URL
        # strict: every answer is judged (and one about something else fails at once);
        # housekeeping (the pool, cleanup) passes answers on unjudged, leaving the verdict
        # to the tests
        self.strict = strict

    def path(self, **parameters: Any) -> dict[str, Any]:
        """Path parameters, the target's account and group unless given."""
        return {"account": self.run.target.account, "group": self.run.target.group} | {
            key: str(value) for key, value in parameters.items()
        }

    def call(
        self,
        operation_id: str,
        *,
        path: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        body: Any = NOT_SET,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        media_type: str = "application/json",
    ) -> Reply:
        """Send one request of `operation_id` and judge the answer by the spec."""
        operation = self.schema.find_operation_by_id(operation_id)
        wanted = {parameter.name for parameter in operation.path_parameters}
        parameters = {k: v for k, v in self.path(**(path or {})).items() if k in wanted}
        case = operation.Case(
            path_parameters=parameters,
            query=_query(query),
            body=body,
            media_type=media_type if body is not NOT_SET else None,
        )
        sent = dict(self.run.credentials.headers()) if auth else {}
        sent.update(headers or {})
        started = time.monotonic()
        with safety.exact_requests():
            response = case.call(
                base_url=self.base_url or self.run.url, session=self.run.session, headers=sent
            )
        exchange = client.record(response, self.run.credentials.secrets, time.monotonic() - started)
        judgement = verdict.judge(case, response) if self.strict else verdict.Judgement()
        decoded = client.json_or_none(response)
        if self.recorder:
            self.recorder(operation_id, operation.label, exchange, judgement, decoded)
        stopping = [o for o in judgement.broken if o.check in checks.STOPS_THE_STEP]
        if stopping:  # every other failure is recorded, and the step goes on
            first = stopping[0]
            failure = first.failure
            raise verdict.ConformanceFailure(
                failure.title if failure else first.check,
                (failure.message if failure else "") or f"{operation.label}: {first.check}",
                check=first.check,
                exchange=exchange.as_dict(),
                operation=operation.label,
                statement=first.basis.statement,
            )
        return Reply(
            operation_id,
            response.status_code,
            decoded,
            dict(response.headers),
            exchange,
        )


def _query(query: dict[str, Any] | None) -> dict[str, Any] | None:
    """Query values as the official clients write them (booleans as true/false)."""
    if not query:
        return None
    return {
        key: str(value).lower() if isinstance(value, bool) else value
        for key, value in query.items()
    }
