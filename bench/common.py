"""What the benchmarks share: servers in processes of their own, the machine's description,
and rewriting one marked section of bench/RESULTS.md."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
VERDICT = {True: "met", False: "MISSED"}


class Server:
    """A server in a process of its own; its URL is the first line it prints."""

    def __init__(self, command: list[str], log: IO[str] | None = None) -> None:
        import time
        from urllib.parse import urlsplit

        started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=log if log is not None else subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        self.startup = time.perf_counter() - started
        if not self.url.startswith("http://"):
            raise SystemExit(f"server did not start: {command}")
        address = urlsplit(self.url)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) in MB, from /proc."""
        fields = proc_status(self.process.pid)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        if self.process.stdout:
            self.process.stdout.close()


def proc_status(pid: int) -> dict[str, str]:
    """The fields of /proc/PID/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def machine_description(*packages: str) -> dict[str, str]:
    """Date, machine, OS and the versions of Python, SQLite and `packages`."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    versions = {name: importlib.metadata.version(name) for name in packages}
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {cpu}",
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "versions": ", ".join(f"{name} {version}" for name, version in versions.items()),
    }


def write_section(name: str, lines: list[str], results: Path = RESULTS) -> None:
    """Replace the section between `<!-- NAME:start -->` and `<!-- NAME:end -->` of
    `results` (bench/RESULTS.md unless told; appended when missing)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = "\n".join([start, *lines, end])
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    results.write_text(text, encoding="utf-8")


def write_benchmark(
    name: str,
    title: str,
    about: dict[str, str],
    method: str,
    table: list[str],
    notes: list[str],
) -> None:
    """One benchmark's section: what ran where, how it was measured, its table, notes."""
    write_section(
        name,
        [
            f"## {title}",
            "",
            f"`python bench/{name}_bench.py` on {about['date']}: {about['machine']}; "
            f"{about['os']}; Python {about['python']}, {about['versions']}, "
            f"SQLite {about['sqlite']}.",
            "",
            method,
            "",
            *table,
            "",
            "Notes (profiles of the hot paths, and what was done about them):",
            "",
            *[f"- {note}" for note in notes],
        ],
    )
