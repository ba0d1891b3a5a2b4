"""What the emulator tests share: a fake clock, a small HTTP client and subprocess helpers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from emulator import config as defaults

REPO = Path(__file__).resolve().parents[2]
SEED_FILE = REPO / "fixtures" / "seeds" / "two-accounts.yaml"
ACCOUNT = defaults.DEFAULT_ACCOUNT
USER = defaults.DEFAULT_USER
PASSWORD = defaults.DEFAULT_PASSWORD
API_KEY = "test-api-key"
OTP = "cccccbcdefghijklnrtuvcbdefghijklnrtuv"  # 37 modhex characters
JSON_ERROR = "application/json"
TEXT_ERROR = "text/plain"


@dataclass
class FakeClock:
    """Seconds since the epoch, moved on by the test instead of waiting."""

    now: float = 1_800_000_000.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class Api:
    """URLs of the emulated API and a keep-alive session with the default user's credentials."""

    def __init__(self, url: str, auth: Any = (USER, PASSWORD)) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.auth = auth

    def at(self, path: str) -> str:
        return self.url + path

    def group(self, group: str = "default", account: str = ACCOUNT) -> str:
        return f"{self.url}/accounts/{account}/groups/{group}"

    def vms(self, group: str = "default", account: str = ACCOUNT) -> str:
        return f"{self.group(group, account)}/virtual_machines"

    def vm(self, ref: Any, group: str = "default", account: str = ACCOUNT) -> str:
        return f"{self.vms(group, account)}/{ref}"

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", url, **kwargs)

    def create(self, name: str, group: str = "default", **attributes: Any) -> dict[str, Any]:
        """Create a machine (202 expected) and answer it as it reads afterwards."""
        reply = self.post(self.vms(group), json={"name": name, **attributes})
        assert reply.status_code == 202, reply.text
        read = self.get(self.vm(reply.json()["id"], group))
        assert read.status_code == 200, read.text
        return read.json()

    def read(
        self, ref: Any, group: str = "default", account: str = ACCOUNT, **query: Any
    ) -> dict[str, Any]:
        reply = self.get(self.vm(ref, group, account), params=query or None)
        assert reply.status_code == 200, reply.text
        return reply.json()


def error_of(reply: requests.Response, status: int) -> Any:
    """The JSON error body of a reply that must have `status`."""
    assert reply.status_code == status, f"{reply.status_code} {reply.text[:300]}"
    assert reply.headers["Content-Type"].startswith(JSON_ERROR), reply.headers
    body = reply.json()
    assert body, "an error body names what went wrong"
    return body


def reason_of(reply: requests.Response, status: int) -> str:
    """The plain-text reason of a reply that must have `status`: one line, not empty (the
    divergent mode's refusal-media-type)."""
    assert reply.status_code == status, f"{reply.status_code} {reply.text[:300]}"
    assert reply.headers["Content-Type"].startswith(TEXT_ERROR), reply.headers
    assert reply.text.strip() and "\n" not in reply.text, reply.text
    return reply.text


def emulator_command(*flags: str) -> list[str]:
    return [sys.executable, "-m", "emulator", "--port", "0", *flags]


class Process:
    """The emulator as a subprocess: its URL (the first line it prints) and its end."""

    def __init__(self, *flags: str) -> None:
        self.process = subprocess.Popen(
            emulator_command(*flags),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith(("http://", "https://")):
            _, errors = self.process.communicate(timeout=30)
            raise AssertionError(f"emulator did not start: {self.url!r} {errors}")

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *_: Any) -> None:
        if self.process.poll() is None:
            self.kill()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()
