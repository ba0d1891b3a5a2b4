"""Every operation of both spec documents, fuzzed by schemathesis against the emulator:
no server error, and every other check that applies (issue 3, items 6 and 8).

Path parameters are pinned to objects that exist (the seeded account and group, a running
machine with a disc and its interface), so requests reach real objects instead of 404s.
The `bigv-*` string formats draw their values from the definitions table, as clients would.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.formats import STRING_FORMATS, unregister_string_format

import spec
from emulator.config import EmulatorConfig
from emulator.server import Emulator, start
from tests.emulator.helpers import ACCOUNT, PASSWORD, USER, Api

pytestmark = pytest.mark.slow

API = spec.api()
DEFINITIONS = spec.definitions_table(API)
AUTHORIZATION = {
    "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
}
MACHINE, DISC, INTERFACE = "fuzz-target", "data", 1
PINNED = {
    "path.account": ACCOUNT,
    "path.group": "default",
    "path.virtual_machine": MACHINE,
    "path.disc": DISC,
    "path.network_interface": INTERFACE,
}
# Valid requests may still be refused by the documented rules: a name already taken, a
# signal to a machine that is off, a disc that may only grow, a group that is not empty.
POSITIVE_STATUSES = ["2xx", "400", "401", "403", "404"]


def _sendkeys() -> st.SearchStrategy[str]:
    keys = [key for key in DEFINITIONS["sendkeys"] if "-" not in key]
    return st.lists(st.sampled_from(keys), min_size=1, max_size=4).map("-".join)


@pytest.fixture(scope="module", autouse=True)
def definition_formats() -> Iterator[None]:
    """`bigv-*` formats drawn from the definitions table, for this module only (the registry
    is global to the process: what was registered before is put back afterwards)."""
    saved = {name: STRING_FORMATS.get(name) for name in API["x-definition-formats"]}
    for name, section in API["x-definition-formats"].items():
        values = st.sampled_from(DEFINITIONS[section])
        schemathesis.openapi.format(name, _sendkeys() if name == "bigv-sendkeys" else values)
    yield
    for name, previous in saved.items():
        if previous is None:
            unregister_string_format(name)
        else:
            schemathesis.openapi.format(name, previous)


def _schema(path) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_path(str(path))
    schema.config.update(parameters=PINNED)
    schema.config.generation.update(max_examples=8, database="none")
    schema.config.checks.positive_data_acceptance.expected_statuses = POSITIVE_STATUSES
    return schema


api_schema = _schema(spec.API_PATH)
auth_schema = _schema(spec.AUTH_PATH)
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="module")
def target() -> Iterator[Emulator]:
    """An emulator of its own (the fuzzer changes things), with the pinned objects made."""
    running = start(EmulatorConfig())
    api = Api(running.url)
    machine = api.create(MACHINE, power_on=True)
    assert api.post(api.vm(MACHINE) + "/discs", json={"label": DISC, "size": 1024}).ok
    assert (
        api.get(api.vm(MACHINE) + f"/nics/{INTERFACE}").json()["virtual_machine_id"]
        == machine["id"]
    )
    yield running
    running.stop()


def _restore(url: str) -> None:
    """Put the pinned objects back if a fuzzed request removed or renamed them."""
    api = Api(url)
    if api.get(api.vm(MACHINE), params={"include_deleted": "true"}).status_code == 404:
        api.post(api.vms(), json={"name": MACHINE, "power_on": True})


@api_schema.parametrize()
@SETTINGS
def test_api_operation(case, target):
    _restore(target.url)
    case.call_and_validate(base_url=target.url, headers=AUTHORIZATION)


@auth_schema.parametrize()
@SETTINGS
def test_auth_operation(case, target):
    case.call_and_validate(base_url=target.url)
