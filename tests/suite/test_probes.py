"""What the suite sends besides its own requests: schemathesis' ignored_auth probes go out
once per operation and process (as `st run` sends them once per run), and the environment's
proxy settings still apply though they are read once per session."""

from __future__ import annotations

import pytest
from schemathesis.specs.openapi.checks import ignored_auth as builtin_ignored_auth

from conformance.judging import checks
from conformance.target.client import new_session
from conformance.target.configuration import load_target
from tests.suite.conftest import api_for


def _refused(emulator) -> int:
    return sum(1 for _, _, status in emulator.requests_answered() if status == 401)


def test_ignored_auth_probes_an_operation_once_where_the_builtin_probes_every_time(
    emulator, monkeypatch
):
    monkeypatch.setattr(checks, "_AUTH_CONFIRMED", set())
    api = api_for(emulator.url, [])
    operation = api.schema.find_operation_by_id("getAccount")

    def call(**check_arguments) -> int:
        before = _refused(emulator)
        case = operation.Case(path_parameters={"account": "conformance"})
        case.call_and_validate(
            base_url=emulator.url,
            session=api.run.session,
            headers=api.run.credentials.headers(),
            **check_arguments,
        )
        return _refused(emulator) - before

    assert call(**checks.generated_case_checks()) >= 1, "the first success is probed"
    assert call(**checks.generated_case_checks()) == 0, "the operation is known to enforce"
    assert call() >= 1, "schemathesis' own check, under pytest, probes again"
    assert builtin_ignored_auth in checks.generated_case_checks()["excluded_checks"]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy"])
def test_proxies_of_the_environment_still_apply(monkeypatch, variable):
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "http://proxy.example:3128")
    target = load_target({"url": "http://api.example", "account": "a", "token": "t"}, {})

    def proxies(session) -> dict:
        """The proxies `requests` sends a request to the target with."""
        return session.merge_environment_settings(target.url, {}, None, None, None)["proxies"]

    session = new_session(target)
    assert proxies(session).get("http") == "http://proxy.example:3128"
    monkeypatch.setenv("NO_PROXY", "api.example")
    assert proxies(session).get("http") == "http://proxy.example:3128", (
        "read once a host, not again on every request"
    )
    assert "http" not in proxies(new_session(target))
