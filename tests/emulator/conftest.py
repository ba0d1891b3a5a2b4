"""Fixtures: an emulator started in-process on a free loopback port, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from emulator.config import EmulatorConfig
from emulator.server import Emulator, start
from tests.emulator.diverged import ALL, Diverged
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


# --- the divergent mode (the test_divergent_*.py modules): one emulator a module ---------
@pytest.fixture(scope="module")
def divergent_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def divergent_emulator(divergent_clock: FakeClock) -> Iterator[Emulator]:
    config = EmulatorConfig(api_key=API_KEY, seed_file=SEED_FILE, divergences=ALL)
    running = start(config, clock=divergent_clock)
    yield running
    running.stop()


@pytest.fixture
def dv(divergent_emulator: Emulator, divergent_clock: FakeClock) -> Diverged:
    """A client of the emulator with every divergence on, back in its seeded state."""
    reply = requests.post(f"{divergent_emulator.url}/_emulator/reset", timeout=30)
    assert reply.status_code == 200, reply.text
    return Diverged(divergent_emulator.url, divergent_clock)
