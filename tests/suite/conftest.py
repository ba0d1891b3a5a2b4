"""Fixtures for the suite's tests: an emulator in its own process, with its request log."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SEED_FILE = ROOT / "fixtures" / "seeds" / "two-accounts.yaml"
CREDENTIALS = [
    "--account",
    "conformance",
    "--user",
    "alice",
    "--password",
    "secret",
    "--cluster-domain",
    "uk0.bigv.io",
]


@dataclass
class EmulatorProcess:
    """A running `python -m emulator -v`: its URL and every request it logged."""

    url: str
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request served so far."""
        found = []
        for line in list(self.log):
            if " DEBUG " in line and " -> " in line:
                request, status = line.split(" DEBUG ", 1)[1].rsplit(" -> ", 1)
                method, path = request.split(" ", 1)
                found.append((method, path, int(status)))
        return found

    def requests_answered(self) -> list[tuple[str, str, int]]:
        """requests(), once the log has caught up with every request already answered: the
        emulator logs a request before it answers, so when a marker request of ours shows
        in the log, everything answered before it does too."""
        marker = f"/_emulator/health?sync={len(self.log)}-{time.monotonic_ns()}"
        requests.get(self.url + marker, timeout=30).raise_for_status()
        deadline = time.monotonic() + 30
        while not any(marker in line for line in list(self.log)):
            assert time.monotonic() < deadline, "the emulator's log never showed the marker"
            time.sleep(0.01)
        return [request for request in self.requests() if "?sync=" not in request[1]]

    def snapshot(self) -> object:
        """Everything the default user can see, deleted machines included."""
        reply = requests.get(
            f"{self.url}/accounts",
            params={"view": "overview", "include_deleted": "true"},
            auth=("alice", "secret"),
            timeout=30,
        )
        reply.raise_for_status()
        return reply.json()


@contextlib.contextmanager
def emulator_process(*arguments: str, seeded: bool = True) -> Iterator[EmulatorProcess]:
    """The emulator in a process of its own (with the two-accounts seed file unless not
    `seeded`: then as `bigv-conformance emulator` starts with no flag), logging requests."""
    seed = ["--seed-file", str(SEED_FILE)] if seeded else []
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "-v", *seed, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http"), process.stderr.read()
        running = EmulatorProcess(url, process)
        threading.Thread(
            target=lambda: [running.log.append(line) for line in process.stderr], daemon=True
        ).start()
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_process() as running:
        yield running


def api_for(url: str, recorded: list) -> Any:
    """The suite's Api on the emulator at `url` as its default user; every call it makes
    appended to `recorded`."""
    import schemathesis

    import spec
    from conformance.run.api import Api
    from conformance.run.schemas import config_for
    from conformance.target.client import Credentials, new_session
    from conformance.target.configuration import load_target
    from conformance.target.context import RunContext

    target = load_target(
        {"url": url, "account": "conformance", "user": "alice", "password": "secret"}
        | {"cluster_domain": "uk0.bigv.io", "poll_interval": 0.05},
        {},
    )
    run = RunContext(target, Credentials(target), new_session(target), "conformance", "default", 1)
    schema = schemathesis.openapi.from_dict(spec.api(), config=config_for(target))
    return Api(run, schema, recorder=lambda *call: recorded.append(call))
