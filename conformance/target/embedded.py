"""Start the reference emulator as a separate process, the way any target is reached: by URL.

The suite never imports the emulator; it runs `python -m emulator` and reads the URL the
emulator prints on its first line.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator

from conformance.target.configuration import Target

START_TIMEOUT = 30.0


class EmulatorFailed(Exception):
    """The embedded emulator did not start; the message is one line."""


def _command(target: Target) -> list[str]:
    command = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0"]
    command += ["--account", target.account, "--cluster-domain", target.cluster_domain]
    if target.user and target.password:
        command += ["--user", target.user, "--password", target.password]
    if target.requires_otp:
        command.append("--require-otp")
    if target.token and target.token.startswith("apikey."):
        command += ["--api-key", target.token.removeprefix("apikey.")]
    if target.emulator_seed_file:
        command += ["--seed-file", str(target.emulator_seed_file)]
    return command + list(target.emulator_args)


def _read_first_line(process: subprocess.Popen[str], timeout: float) -> str:
    found: list[str] = []
    reader = threading.Thread(
        target=lambda: found.append(process.stdout.readline() if process.stdout else ""),
        daemon=True,
    )
    reader.start()
    reader.join(timeout)
    return found[0].strip() if found else ""


@contextlib.contextmanager
def embedded_emulator(target: Target) -> Iterator[Target]:
    """Run the emulator for the length of the block; yield the target at its URL."""
    process = subprocess.Popen(
        _command(target),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _read_first_line(process, START_TIMEOUT)
        if not url.startswith("http"):
            process.kill()
            _, errors = process.communicate(timeout=5)
            last = (errors or "").strip().splitlines()[-1:] or ["no output"]
            raise EmulatorFailed(f"the embedded emulator did not start: {last[0]}")
        threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield target.with_url(url)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
