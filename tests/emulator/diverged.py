"""The divergent emulator's client and helpers, shared by the test_divergent_*.py modules (their
fixtures `divergent_clock`, `divergent_emulator` and `dv` are in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from emulator import divergent
from emulator.config import EmulatorConfig
from emulator.server import start
from tests.emulator.helpers import ACCOUNT, Api, FakeClock

ALL = divergent.register_ids()
SETTLE = 2.0  # seconds of fake time after which any divergent provisioning is over
VENDOR = "application/vnd.bigv.virtual-machine+json"
RUNNING = {"power_on": True, "autoreboot_on": True}


class Diverged(Api):
    """A client of a divergent emulator, with the clock its provisioning runs by."""

    def __init__(self, url: str, clock: FakeClock) -> None:
        super().__init__(url)
        self.clock = clock

    def make(self, name: str, group: str = "default", **attributes: Any) -> dict[str, Any]:
        """Create a machine (cores and memory are required here) and read it once ready."""
        body = {"name": name, "cores": 1, "memory": 1024, **attributes}
        reply = self.post(self.vms(group), json=body)
        assert reply.status_code == 202, reply.text
        self.clock.advance(SETTLE)
        return self.read(reply.json()["id"], group)

    def make_with_disc(self, name: str, **attributes: Any) -> dict[str, Any]:
        """A machine with a disc to image (reimage-without-disc), read once ready."""
        machine = self.make(name, **attributes)
        reply = self.post(self.vm(name) + "/discs", json={"label": "root", "size": 25600})
        assert reply.status_code == 201, reply.text
        return machine

    def groups(self) -> str:
        return self.at(f"/accounts/{ACCOUNT}/groups")


@contextmanager
def only(*ids: str, **settings: Any) -> Iterator[Diverged]:
    """An emulator with only the divergences `ids` on."""
    clock = FakeClock()
    running = start(EmulatorConfig(divergences=frozenset(ids), **settings), clock=clock)
    try:
        yield Diverged(running.url, clock)
    finally:
        running.stop()


def signal_vm(api: Api, name: str, **body: Any) -> requests.Response:
    return api.post(api.vm(name) + "/signal", json=body)


def reimage_vm(api: Api, name: str, **body: Any) -> requests.Response:
    return api.post(api.vm(name) + "/reimage", json={"distribution": "jessie", **body})
