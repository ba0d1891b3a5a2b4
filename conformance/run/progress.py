"""What a run shows while it runs: a live progress bar on a terminal; in any other output (a
CI log) a line per phase and a heartbeat every ten seconds or so (tests done of all, failures
so far), never a flood. Both are pytest plugins of the controlling process."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

HEARTBEAT_SECONDS = 10.0
HEARTBEAT_VARIABLE = "BIGV_HEARTBEAT_SECONDS"  # another interval (tests use a short one)


class _Counts:
    """Tests done and failing, as pytest reports them (xdist workers' included)."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0
        self.failed = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed += 1
        if report.when == "teardown" or (report.when == "setup" and not report.passed):
            self.done += 1
            self.advanced()

    def advanced(self) -> None:
        """A test is done (subclasses show it)."""

    def collected(self, total: int) -> None:
        """The tests to run are known (subclasses show it)."""

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self.collected(self.total)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Under pytest-xdist the controlling process collects nothing: each worker tells
        what it collected (all of the tests)."""
        if self.total is None:
            self.total = len(ids)
            self.collected(self.total)


class Progressbar(_Counts):
    """A live progress bar of the tests, on a terminal."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failing"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("testing", total=None, failed=0)

    def phase(self, text: str) -> None:
        """Phases show on the bar's line: nothing to print."""

    def collected(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def pytest_sessionstart(self) -> None:
        self.progress.start()

    def advanced(self) -> None:
        self.progress.update(self.task, advance=1, failed=self.failed)

    def pytest_sessionfinish(self) -> None:
        self.progress.stop()


class Heartbeat(_Counts):
    """Plain lines for a log: one per phase, and every `interval` seconds how far the tests
    are, whether or not one finished (a target that takes minutes to answer does not make
    the job look hung)."""

    def __init__(self, console: Console, interval: float = HEARTBEAT_SECONDS) -> None:
        super().__init__()
        self.console = console
        self.interval = interval
        self.started = time.monotonic()
        self.stopped = threading.Event()
        self.beating: threading.Thread | None = None

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.console.print(
            f"bigv-conformance [{elapsed:5.0f} s] {text}", markup=False, highlight=False
        )

    def phase(self, text: str) -> None:
        self.say(text)

    def status(self) -> str:
        total = "?" if self.total is None else self.total
        return f"{self.done}/{total} tests done, {self.failed} failing"

    def collected(self, total: int) -> None:
        self.say(f"running {total} tests")
        self.beating = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self.beating.start()

    def _beat(self) -> None:
        while not self.stopped.wait(self.interval):
            self.say(self.status())

    def pytest_sessionfinish(self) -> None:
        self.stopped.set()
        if self.beating is not None:
            self.beating.join(timeout=5)
        self.say(f"tests over: {self.status()}")


def progress_for(console: Console) -> Any:
    """The progress view for this output: a bar on a terminal, a heartbeat elsewhere."""
    if console.is_terminal:
        return Progressbar(console)
    interval = float(os.environ.get(HEARTBEAT_VARIABLE) or HEARTBEAT_SECONDS)
    return Heartbeat(console, max(interval, 0.05))
