"""Progress: a bar on a terminal; in a log, a line per phase and a heartbeat, never a flood."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from rich.console import Console

from conformance.run.progress import Heartbeat, Progressbar, progress_for


def report(when: str, failed: bool = False):
    return SimpleNamespace(when=when, failed=failed, passed=not failed)


def test_a_terminal_gets_the_bar_and_a_log_the_heartbeat():
    assert isinstance(progress_for(Console(file=io.StringIO(), force_terminal=True)), Progressbar)
    assert isinstance(progress_for(Console(file=io.StringIO())), Heartbeat)


def test_the_heartbeat_says_how_far_the_tests_are_and_never_floods():
    out = io.StringIO()
    heartbeat = Heartbeat(Console(file=out, width=200), interval=0.05)
    heartbeat.phase("starting the reference emulator")
    heartbeat.pytest_collection_finish(SimpleNamespace(items=list(range(500))))
    started = time.monotonic()
    for index in range(500):
        heartbeat.pytest_runtest_logreport(report("call", failed=index % 100 == 0))
        heartbeat.pytest_runtest_logreport(report("teardown"))
    time.sleep(0.3)
    heartbeat.pytest_sessionfinish()
    elapsed = time.monotonic() - started
    lines = out.getvalue().splitlines()
    assert "starting the reference emulator" in lines[0]
    assert "running 500 tests" in lines[1]
    beats = [line for line in lines[2:-1] if "tests done" in line]
    assert beats, lines
    assert len(lines) <= 3 + elapsed / 0.05 + 2, "one line per interval at most"
    assert lines[-1].endswith("tests over: 500/500 tests done, 5 failing")


def test_a_heartbeat_comes_while_no_test_finishes():
    out = io.StringIO()
    heartbeat = Heartbeat(Console(file=out, width=200), interval=0.05)
    heartbeat.pytest_collection_finish(SimpleNamespace(items=[1]))
    time.sleep(0.25)  # one slow test, nothing reported
    heartbeat.pytest_sessionfinish()
    assert out.getvalue().count("0/1 tests done, 0 failing") >= 2


@pytest.mark.slow
def test_a_run_whose_output_is_not_a_terminal_prints_phases_and_heartbeats(tmp_path):
    result = subprocess.run(
        [
            *(sys.executable, "-m", "bigv_conformance", "run", "--profile", "smoke"),
            *("--report-dir", str(tmp_path), "--seed", "1"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "BIGV_HEARTBEAT_SECONDS": "1"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert any("starting the reference emulator" in line for line in lines)
    assert any(line.endswith(" tests") and "running" in line for line in lines)
    assert any("tests done" in line and "tests over" not in line for line in lines)
    assert any("writing the reports" in line for line in lines)
    assert "\x1b[" not in result.stdout  # no terminal control codes in a log
    assert (tmp_path / "summary.md").is_file()
