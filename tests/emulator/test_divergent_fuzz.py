"""Bad input stays clean in the divergent mode too: every operation of both spec documents,
fuzzed by schemathesis against an emulator with every divergence on, never answers a server
error (but for the 500 the register asks of a disc DELETE without purge) and always answers
a media type the divergent mode uses. The schemas, the pinned objects and the `bigv-*`
formats are test_schemathesis's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator import divergent
from emulator.config import EmulatorConfig
from emulator.server import Emulator, start
from tests.emulator.helpers import Api, FakeClock
from tests.emulator.test_schemathesis import (  # noqa: F401 (definition_formats: a fixture)
    AUTHORIZATION,
    DISC,
    MACHINE,
    SETTINGS,
    api_schema,
    auth_schema,
    definition_formats,
)

pytestmark = pytest.mark.slow

MEDIA_TYPES = ("application/json", "text/plain", divergent.VM_MEDIA_TYPE)
NOT_IMPLEMENTED = 501  # unknown-methods
SETTLE = 2.0  # seconds of fake time: any divergent provisioning is over


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def target(clock: FakeClock) -> Iterator[Emulator]:
    running = start(EmulatorConfig(divergences=divergent.register_ids()), clock=clock)
    yield running
    running.stop()


def _restore(api: Api, clock: FakeClock) -> None:
    """The pinned machine (running) and its disc, made again if a fuzzed request removed them."""
    clock.advance(SETTLE)
    if api.get(api.vm(MACHINE), params={"include_deleted": "true"}).status_code == 404:
        body = {"name": MACHINE, "power_on": True, "cores": 1, "memory": 1024}
        assert api.post(api.vms(), json=body).status_code == 202
        clock.advance(SETTLE)
    if api.get(api.vm(MACHINE) + f"/discs/{DISC}").status_code == 404:
        api.post(api.vm(MACHINE) + "/discs", json={"label": DISC, "size": 1024})


def _clean(case, response) -> None:
    media = (response.headers.get("content-type") or [""])[0].split(";")[0]
    if response.status_code >= 500 and response.status_code != NOT_IMPLEMENTED:
        assert (case.method, case.operation.label.rsplit("/", 1)[-1]) == ("DELETE", "{disc}"), (
            case.operation.label,
            response.text,
        )
    if response.status_code != 204 and case.method != "HEAD":
        assert media in MEDIA_TYPES, (case.operation.label, response.headers)


@api_schema.parametrize()
@SETTINGS
def test_api_operation_never_fails_on_the_server(case, target, clock):
    _restore(Api(target.url), clock)
    _clean(case, case.call(base_url=target.url, headers=AUTHORIZATION))


@auth_schema.parametrize()
@SETTINGS
def test_auth_operation_never_fails_on_the_server(case, target):
    _clean(case, case.call(base_url=target.url))
