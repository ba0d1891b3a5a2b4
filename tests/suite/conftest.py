"""Fixtures for the suite's tests: an emulator in its own process, with its request log."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
def emulator_process(*arguments: str) -> Iterator[EmulatorProcess]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "-v",
            "--seed-file",
            str(SEED_FILE),
            *arguments,
        ],
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
