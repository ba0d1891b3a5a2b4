"""Run one catalogue entry as a user would: emulator, proxy with the fault, the real CLI.

`run_entry` starts a faithful emulator in-process (the two-accounts seed file, an API key,
OTP enforcement when the entry asks for it), puts the fault-injecting proxy in front of it,
runs `python -m bigv_conformance run` against the proxy as a subprocess, and reads the
`summary.json` it writes. The result (exit code, the failures that caught the fault, wall
time) is also written as JSON for `tools/detection_table.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from emulator.config import EmulatorConfig
from emulator.server import start
from tests.faults.catalogue import Entry
from tests.faults.proxy import Proxy

REPO = Path(__file__).resolve().parents[2]
SEED_FILE = REPO / "fixtures" / "seeds" / "two-accounts.yaml"
RESULTS_DIR = REPO / "reports" / "faults"
RESULTS_VARIABLE = "BIGV_FAULTS_RESULTS"
ACCOUNT, USER, PASSWORD = "conformance", "alice", "secret"
FOREIGN_ACCOUNT = "foreign"
API_KEY = "fault-catalogue-key"
OTP = "cccccbcdefghijklnrtuvcbdefghijklnrtuv"  # a well-formed Yubikey OTP (modhex)
SEED = 1
CLI_TIMEOUT = 600  # seconds; a run that takes longer is an error of the harness


def results_dir() -> Path:
    return Path(os.environ.get(RESULTS_VARIABLE) or RESULTS_DIR)


TARGET_FILE = """\
# A target file for one catalogue run: the proxy in front of a faithful emulator.
account = "{account}"
group = "default"
user = "{user}"
password = "{password}"
cluster_domain = "uk0.bigv.io"
requires_otp = {requires_otp}
foreign_account = "{foreign}"
auth_url = "{{url}}"

[wait]
# The emulator provisions at once (no delay), so a right state is seen on the first poll;
# a wrong one is given up on after this long.
timeout = {wait_timeout}
poll_interval = 0.1
"""


@dataclass
class RunResult:
    """What one CLI run against one catalogue entry gave."""

    name: str
    harmless: bool
    breaks: str
    description: str
    exit_code: int
    seconds: float
    budget: str
    expected: list[str]
    caught: bool  # a failure matched what the catalogue expects (faults only)
    failures: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    proxy_errors: list[str] = field(default_factory=list)  # a fault that raised: its bug
    cpu_seconds: float = 0.0  # user + system time of the CLI process and its children
    output: str = ""
    retries: dict[str, int] = field(default_factory=dict)  # summary.json's busy answers retried
    finished: str = ""
    started_at: float = 0.0  # seconds since the epoch, when the CLI was started

    @property
    def ok(self) -> bool:
        """The entry did what the catalogue says: caught (faults), or passed (variations)."""
        if self.proxy_errors:
            return False
        if self.harmless:
            return self.exit_code == 0 and not self.failures
        return self.exit_code == 1 and self.caught

    def catchers(self) -> list[str]:
        """The distinct `where · check` of every failure, in report order."""
        seen: dict[str, None] = {}
        for failure in self.failures:
            seen.setdefault(describe(failure), None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["catchers"] = self.catchers()
        return data


def describe(failure: dict[str, Any]) -> str:
    """`where · check` of a failure: a property or stateful run and its operation, or a
    scenario (and the operation of the call that failed in it, when the report names one)."""
    test_id = str(failure.get("test_id") or "")
    operation = failure.get("operation")
    head = test_id.split(":", 1)[0].split("[", 1)[0]
    if head in ("property", "stateful"):
        where = f"{head} {operation or test_id}"
    elif operation:
        where = f"{head} -> {operation}"
    else:
        where = head
    return f"{where} · {failure.get('check')}"


def cli_command(entry: Entry, url: str, target_file: Path, report_dir: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "bigv_conformance",
        "run",
        "--target",
        url,
        "--target-file",
        str(target_file),
        "--account",
        ACCOUNT,
        "--user",
        USER,
        "--password",
        PASSWORD,
        "--seed",
        str(SEED),
        "--report-dir",
        str(report_dir),
        # One pytest process a run: the catalogue already runs two entries at once on the
        # two cores, and each xdist worker more would only add its start-up time.
        "--workers",
        "1",
    ]
    if entry.profile:
        command += ["--profile", entry.profile]
    if entry.max_examples:
        command += ["--max-examples", str(entry.max_examples)]
    if entry.otp:
        command += ["--otp", OTP]
    return command


def _environment() -> dict[str, str]:
    """This process' environment without any BIGV_* setting that would change the run."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("BIGV_")}
    environment["PYTHONUNBUFFERED"] = "1"
    environment["COLUMNS"] = "160"
    return environment


def _run_cli(command: list[str], log_path: Path) -> tuple[int, float]:
    """Run the CLI, its output to `log_path`; its exit code and the CPU time it used."""
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=_environment()
        )
        timer = threading.Timer(CLI_TIMEOUT, process.kill)
        timer.start()
        try:
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = os.waitstatus_to_exitcode(status)
                return process.returncode, usage.ru_utime + usage.ru_stime
            return process.wait(), 0.0
        finally:
            timer.cancel()


def run_entry(entry: Entry, workdir: Path, write: bool = True) -> RunResult:
    """Run the suite against a faithful emulator behind `entry`'s fault; return the result."""
    workdir.mkdir(parents=True, exist_ok=True)
    report_dir = workdir / "report"
    target_file = workdir / "target.toml"
    target_file.write_text(
        TARGET_FILE.format(
            account=ACCOUNT,
            user=USER,
            password=PASSWORD,
            requires_otp="true" if entry.otp else "false",
            foreign=FOREIGN_ACCOUNT,
            wait_timeout=entry.wait_timeout,
        ),
        encoding="utf-8",
    )
    config = EmulatorConfig(api_key=API_KEY, seed_file=SEED_FILE, require_otp=entry.otp)
    emulator = start(config)
    proxy = Proxy(emulator.url, entry.fault.fresh()).start()
    log_path = workdir / "cli.log"
    started_at = time.time()
    started = time.monotonic()
    try:
        exit_code, cpu = _run_cli(cli_command(entry, proxy.url, target_file, report_dir), log_path)
    finally:
        seconds = time.monotonic() - started
        proxy.stop()
        emulator.stop()
    output = log_path.read_text(encoding="utf-8", errors="replace")
    summary_path = report_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    failures = summary.get("failures", [])
    result = RunResult(
        name=entry.name,
        harmless=entry.fault.harmless,
        breaks=entry.fault.breaks,
        description=entry.fault.description,
        exit_code=exit_code,
        seconds=round(seconds, 1),
        cpu_seconds=round(cpu, 1),
        budget=entry.budget,
        expected=[str(catch) for catch in entry.caught_by],
        caught=any(catch.matches(failure) for catch in entry.caught_by for failure in failures),
        failures=[_slim(failure) for failure in failures],
        requests=proxy.requests_seen,
        proxy_errors=proxy.errors[:10],
        output=output[-4000:].strip(),
        retries=summary.get("retries", {}),
        finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
        started_at=round(started_at, 1),
    )
    if write:
        save(result)
    return result


def _slim(failure: dict[str, Any]) -> dict[str, Any]:
    keys = ("test_id", "operation", "check", "capability", "level", "title", "step", "curl")
    slim = {key: failure.get(key) for key in keys}
    slim["message"] = (failure.get("message") or "")[:600]
    return slim


def save(result: RunResult) -> Path:
    directory = results_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.name}.json"
    path.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def load_results(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """The last saved result of every entry, by name."""
    directory = directory or results_dir()
    found = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["name"]] = data
    return found
