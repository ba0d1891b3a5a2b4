#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11 and pip.

    python3 dev.py run [bigv-conformance run flags]   the main job against the embedded emulator
    python3 dev.py test [pytest arguments]            lint and the project's own tests
    python3 dev.py emulator [flags]                   serve the reference emulator

Each command first makes `.venv` (once) and installs the project into it, editable, with
its development tools; nothing is installed outside `.venv`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the project into it, unless pyproject.toml is unchanged."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit("dev.py: Python 3.11 or newer is needed")
    if not PYTHON.exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("dev.py: installing the project into .venv", file=sys.stderr)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f"{ROOT}[dev]",
        ],
        check=True,
    )
    STAMP.write_text(_fingerprint())


def run(command: list[str]) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def test(arguments: list[str]) -> int:
    """Lint, then the project's own tests; fail when pytest ran no test at all."""
    for lint in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        code = run([str(BIN / lint[0]), *lint[1:]])
        if code != 0:
            print(f"dev.py: {' '.join(lint)} failed", file=sys.stderr)
            return code
    code = run([str(PYTHON), "-m", "pytest", *arguments])
    if code == 5:
        print("dev.py: pytest collected no tests", file=sys.stderr)
        return 1
    return code


def main(argv: list[str]) -> int:
    commands = {"run", "test", "emulator"}
    if not argv or argv[0] not in commands:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ensure_environment()
    command, arguments = argv[0], argv[1:]
    if command == "test":
        return test(arguments)
    return run([str(BIN / "bigv-conformance"), command, *arguments])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
