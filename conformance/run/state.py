"""The process-wide state of a run: the target as the runner passed it, what was learnt about
it, the api, the ledger, the pool, and the cleanup at the end."""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import secrets
import string
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import strategies as st

import spec
from conformance.results import coverage
from conformance.results.recording import RECORDER
from conformance.run import safety
from conformance.run.api import Api
from conformance.run.pool import Pool
from conformance.run.provisioning import Provisioner
from conformance.run.scenario import Machines
from conformance.run.sweep import SweepError, sweep
from conformance.target import client, context
from conformance.target.configuration import Target

log = logging.getLogger("conformance.cleanup")

TARGET_VARIABLE = "BIGV_CONFORMANCE_TARGET"
PREFIX_VARIABLE = "BIGV_RUN_PREFIX"
API = spec.api()


def new_prefix() -> str:
    """A short run prefix that is a valid start of a DNS label."""
    alphabet = string.ascii_lowercase + string.digits
    return "bvc" + "".join(secrets.choice(alphabet) for _ in range(5))


def _probe(target: Target, credentials: client.Credentials, session: requests.Session) -> dict:
    """Names and ids of the target's account and group, and its definitions."""
    found: dict[str, Any] = {"account_name": target.account, "group_name": target.group}
    base = target.url
    headers = credentials.headers()
    account = session.get(f"{base}/accounts/{target.account}", headers=headers, timeout=30)
    if account.status_code == 200 and isinstance(client.json_or_none(account), dict):
        found["account_name"] = account.json().get("name", target.account)
    group = session.get(
        f"{base}/accounts/{target.account}/groups/{target.group}",
        headers=credentials.headers(),
        timeout=30,
    )
    body = client.json_or_none(group)
    found["group_id"] = (
        body.get("id") if group.status_code == 200 and isinstance(body, dict) else None
    )
    if isinstance(body, dict) and body.get("name"):
        found["group_name"] = body["name"]
    definitions = session.get(f"{base}/definitions", timeout=30)
    table = client.json_or_none(definitions)
    if definitions.status_code == 200 and isinstance(table, list):
        found["definitions"] = {
            entry["id"]: entry["data"]
            for entry in table
            if isinstance(entry, dict) and "id" in entry
        }
    else:
        found["definitions"] = spec.definitions_table(API)
    return found


def register_definition_formats(definitions: dict[str, Any]) -> None:
    """Generate `bigv-*` formatted strings from the target's own definitions."""
    for format_name, section in API["x-definition-formats"].items():
        values = definitions.get(section) or spec.definitions_table(API)[section]
        joiner = coverage.JOINED_FORMATS.get(format_name)
        if joiner:
            keys = [key for key in values if joiner not in key]
            strategy = st.lists(st.sampled_from(keys), min_size=1, max_size=3).map(joiner.join)
        else:
            strategy = st.sampled_from(list(values))
        schemathesis.openapi.format(format_name, strategy)


def target_from_environment() -> Target:
    text = os.environ.get(TARGET_VARIABLE)
    if not text:
        raise pytest.UsageError(
            f"{TARGET_VARIABLE} is not set: run the suite with `bigv-conformance run`"
        )
    return Target.from_json(text)


class RunState:
    """The process-wide state of a run: context, api, ledger, pool."""

    def __init__(self, schema: Any) -> None:
        target = target_from_environment()
        credentials = client.Credentials(target)
        session = client.new_session(target)
        facts = _probe(target, credentials, session)
        self.run = context.RunContext(
            target=target,
            credentials=credentials,
            session=session,
            account_name=facts["account_name"],
            group_name=facts["group_name"],
            group_id=facts["group_id"],
            definitions=facts["definitions"],
        )
        context.set_current(self.run)
        register_definition_formats(self.run.definitions)
        RECORDER.value_lists = coverage.value_lists(self.run.definitions)
        report_dir = Path(target.report_dir)
        report_dir.mkdir(parents=True, exist_ok=True)
        self.prefix = os.environ.get(PREFIX_VARIABLE) or new_prefix()
        self.ledger = safety.Ledger(report_dir / "ledger.jsonl")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
        self.names = safety.Names(self.prefix, worker)
        self.api = Api(self.run, schema, recorder=_record_scenario_call)
        cap = max(1, target.max_vms // client.run_workers()) if target.max_vms else None
        self.budget = safety.Budget(cap)
        self.housekeeping = Api(self.run, schema, strict=False)
        self.pool = Pool(self.housekeeping, self.ledger, self.names, self.budget)
        self.provisioner = Provisioner(self.api, self.names, self.budget)
        self.generated: collections.deque = collections.deque()  # machines made by generation

    def make_room(self) -> None:
        """Purge machines made by generated requests, oldest first, until one more fits."""
        machines = Machines(self.housekeeping, self.names, self.budget)
        while self.generated and not self.budget.room(1):
            machines.created.append(
                (self.run.target.account, self.run.target.group, self.generated.popleft())
            )
            machines.purge_all()

    def cleanup(self) -> None:
        """Purge every machine and delete every group the run created."""
        machines = Machines(self.housekeeping, self.names)
        for identifier in sorted(self.ledger.machines, key=str):
            if identifier.isdigit():
                machines.created.append(
                    (self.run.target.account, self.run.target.group, identifier)
                )
        machines.purge_all()
        if self.run.target.profile != "read-only":
            # machines moved to other groups, groups made, anything named by this process
            with contextlib.suppress(SweepError):
                sweep(self.run.target, self.names.process_prefix, dry_run=False, say=log.info)


_STATE: list[RunState] = []


_PROBES = threading.local()


def _polite_probes() -> None:
    """Schemathesis sends its probes (e.g. the request without credentials of ignored_auth)
    on a session of its own, past the run's rate limit and 429/503 retries. Send them on a
    polite session instead, one per thread and kept alive, that never keeps a cookie: so
    that nothing of the run rides along."""
    from schemathesis.transport.requests import REQUESTS_TRANSPORT

    if getattr(REQUESTS_TRANSPORT, "bigv_polite", False):
        return
    original = REQUESTS_TRANSPORT.send

    def send(case: Any, *, session: Any = None, **kwargs: Any) -> Any:
        if session is None and _STATE:
            session = getattr(_PROBES, "session", None)
            if session is None:
                session = _PROBES.session = client.new_session(_STATE[0].run.target, cookies=False)
        return original(case, session=session, **kwargs)

    REQUESTS_TRANSPORT.send = send  # type: ignore[method-assign]
    REQUESTS_TRANSPORT.bigv_polite = True  # type: ignore[attr-defined]


def state() -> RunState:
    if not _STATE:
        from conformance.run.schemas import base_schema

        _STATE.append(RunState(base_schema()))
        _polite_probes()
    return _STATE[0]


def _record_scenario_call(
    operation_id: str, label: str, exchange: client.Exchange, judgement, body: Any = None
) -> None:
    RECORDER.exchange(label, exchange, body)
    known = state().run.credentials.secrets
    for outcome in judgement.outcomes:
        RECORDER.check(label, outcome.check, outcome.failure, exchange, known, outcome.basis)
    RECORDER.example(label, exchange)
