"""Fixtures: an emulator started in-process on a free loopback port, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from emulator.config import EmulatorConfig
from emulator.server import Emulator, start
from tests.emulator.helpers import API_KEY, SEED_FILE, Api, FakeClock


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def emulator(clock: FakeClock) -> Iterator[Emulator]:
    """The default emulator, with an API key and the two-accounts seed file."""
    running = start(EmulatorConfig(api_key=API_KEY, seed_file=SEED_FILE), clock=clock)
    yield running
    running.stop()


@pytest.fixture
def api(emulator: Emulator) -> Api:
    """A client of the default emulator, back in its seeded state."""
    reply = requests.post(f"{emulator.url}/_emulator/reset", timeout=30)
    assert reply.status_code == 200, reply.text
    return Api(emulator.url)
