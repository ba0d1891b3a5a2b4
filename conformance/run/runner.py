"""One run of the suite: reach the target, run the tests under pytest, write the reports.

`run` returns the exit code of design.md section 3: 0 conformant, 1 not conformant (or cut
short by the run's deadline), 2 a usage or configuration error or a target that cannot be
reached; 130 when SIGINT (Ctrl-C) or SIGTERM stopped it. A run cut short still writes every
report, of what ran, marked incomplete.
"""

from __future__ import annotations

import _thread
import contextlib
import datetime
import os
import platform
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from rich.console import Console

import spec
from bigv_conformance import __version__
from conformance import report
from conformance.report import job_summary
from conformance.results import coverage
from conformance.results.junit import write_junit
from conformance.results.summary import Summary, write_summary
from conformance.run import plugin
from conformance.run.progress import progress_for
from conformance.run.sweep import SweepError, sweep
from conformance.target import client, deadline, discovery, tls
from conformance.target.client import OtpCommandFailed
from conformance.target.configuration import Target, worker_count
from conformance.target.embedded import EmulatorFailed, embedded_emulator

SUITE_DIR = Path(__file__).resolve().parents[1] / "suite"

EXIT_CONFORMANT, EXIT_NOT_CONFORMANT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class RunError(Exception):
    """The run cannot give a verdict (exit 2); the message is one line."""


class Unreachable(RunError):
    """The target does not answer."""


@dataclass
class RunOutcome:
    code: int
    summary: Summary | None
    report_dir: Path


def check_reachable(target: Target) -> None:
    """Fail early, in one line, when nothing answers at the target URL, or when TLS with it
    fails (saying why and what fixes it)."""
    try:
        client.new_session(target).get(f"{target.url}/definitions", timeout=15)
    except requests.RequestException as error:
        said = tls.failure_for(error, target)
        if said:
            raise Unreachable(said) from None
        reason = type(error).__name__
        raise Unreachable(f"target {target.url} cannot be reached ({reason})") from None


@contextlib.contextmanager
def live_target(target: Target, console: Console | None = None) -> Iterator[Target]:
    """The target at a URL: the embedded emulator for the length of the run, or the given URL
    with what the user left open (the account) learnt from it."""
    if target.embedded:
        try:
            with embedded_emulator(target) as started:
                yield started
        except EmulatorFailed as error:
            raise Unreachable(str(error)) from None
    else:
        check_reachable(target)
        try:
            completed, said = discovery.complete(target)
        except discovery.DiscoveryError as error:
            raise RunError(str(error)) from None
        for line in said:
            if console is not None:
                console.print(f"[dim]{line}[/dim]")
        yield completed


def pytest_arguments(target: Target) -> list[str]:
    arguments = [
        str(SUITE_DIR),
        "-c",
        str(SUITE_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "-p",
        "conformance.run.plugin",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        # The suite fails through its checks' own messages, never through bare asserts;
        # rewriting would recompile hypothesis and schemathesis in every worker, every run
        # (they are pytest plugins) whenever Python writes no bytecode cache.
        "--assert=plain",
    ]
    if target.seed is not None:
        arguments += ["--hypothesis-seed", str(target.seed)]
    workers = worker_count(target)
    if workers > 1:
        # loadgroup: the tests that create machines, one group, go to one worker
        # (plugin.CREATING_GROUP)
        arguments += ["-n", str(workers), "--dist", "loadgroup"]
    if target.profile == "smoke":
        arguments += ["-m", "not slow"]
    if target.insecure:  # said once by the run, recorded in every report
        arguments += ["-W", "ignore::urllib3.exceptions.InsecureRequestWarning"]
    return arguments


def versions() -> dict[str, str]:
    return {
        "suite": __version__,
        "spec": spec.spec_hash(),
        "schemathesis": schemathesis.__version__,
        "python": platform.python_version(),
    }


class Interruption:
    """Why a run was cut short, if it was: SIGINT, SIGTERM, or the deadline's hard stop
    (the deadline passed GRACE seconds ago and tests are still running). A pytest plugin of
    the controlling process: it knows when pytest has taken the interrupt."""

    REDELIVER = 1.0  # seconds between interrupts until pytest has taken one

    def __init__(self) -> None:
        self.reason: str | None = None
        self.taken = threading.Event()
        self._watcher: threading.Thread | None = None

    def on_signal(self, signum: int, frame: Any) -> None:
        self.reason = self.reason or signal.Signals(signum).name
        self._watch()
        if deadline.in_gc_callback(frame):
            return  # raised there it would be swallowed ("Exception ignored"): see _watch
        raise KeyboardInterrupt

    def hard_stop(self) -> None:
        self.reason = "deadline"
        self._watch()
        _thread.interrupt_main()

    def _watch(self) -> None:
        """Interrupt again every REDELIVER seconds until pytest has taken the interrupt: one
        raised inside a garbage-collector callback (Hypothesis installs one) is lost."""
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._redeliver, daemon=True)
            self._watcher.start()

    def _redeliver(self) -> None:
        while not self.taken.wait(self.REDELIVER):
            _thread.interrupt_main()

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        self.taken.set()

    @contextlib.contextmanager
    def armed(self, ends: float | None) -> Iterator[None]:
        """SIGINT and SIGTERM stop the tests (their cleanup runs, then the reports are
        written), and so does the deadline's hard stop."""
        timer = None
        if ends is not None:
            timer = threading.Timer(max(0.0, ends + deadline.GRACE - time.time()), self.hard_stop)
            timer.daemon = True
            timer.start()
        main = threading.current_thread() is threading.main_thread()
        saved = (
            {number: signal.signal(number, self.on_signal) for number in _STOPPING} if main else {}
        )
        try:
            yield
        finally:
            self.taken.set()  # pytest has returned: nothing more to interrupt
            if timer is not None:
                timer.cancel()
            for number, handler in saved.items():
                signal.signal(number, handler)


_STOPPING = (signal.SIGINT, signal.SIGTERM)


def incomplete(
    collector: plugin.Collector, interruption: Interruption, target: Target
) -> dict[str, Any] | None:
    """What summary.json says of a run cut short (None for a run that finished): why, and
    every test not run, stopped on the way, or (interrupted) never finished."""
    tests = list(collector.not_run)
    if collector.interrupted:
        group = f"@{plugin.CREATING_GROUP}"  # pytest-xdist's suffix of a grouped test
        tests += [
            {"test": nodeid.removesuffix(group), "how": "not finished"}
            for nodeid in collector.unfinished()
        ]
    if not tests and not collector.interrupted:
        return None
    reason = interruption.reason or ("deadline" if collector.not_run else "SIGINT")
    said = (
        f"the run's deadline (--deadline {deadline.describe(target.deadline)}) passed"
        if reason == "deadline"
        else f"it was interrupted ({reason})"
    )
    if not collector.collected:
        said += " before the tests were collected"
    return {
        "reason": reason,
        "said": said,
        "deadline": deadline.describe(target.deadline),
        "tests": tests,
    }


def run(target: Target, console: Console) -> RunOutcome:
    """Run the whole suite against the target and write the reports."""
    from conformance.results import baseline as comparing
    from conformance.results import expectations

    try:  # a bad expectations file or baseline ends the run before it starts (exit 2)
        accepted = expectations.load(target.expectations) if target.expectations else None
        baseline = comparing.load(target.baseline) if target.baseline else None
    except (expectations.ExpectationsError, comparing.CompareError) as error:
        raise RunError(str(error)) from None
    report_dir = Path(target.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "ledger.jsonl").unlink(missing_ok=True)
    started_at = datetime.datetime.now(datetime.UTC)
    started = time.monotonic()
    ends = time.time() + target.deadline if target.deadline else None
    interruption = Interruption()
    collector = plugin.Collector()
    progress = progress_for(console)
    progress.phase(
        "starting the reference emulator" if target.embedded else f"reaching {target.url}"
    )
    if target.insecure and (target.url or "").startswith("https://"):
        console.print(
            f"[bold yellow]TLS certificates of {target.url} are not verified (--insecure); "
            "every report says so[/bold yellow]",
            highlight=False,
        )
    with live_target(target, console) as live:
        environment = {
            plugin.TARGET_VARIABLE: live.to_json(),
            plugin.PREFIX_VARIABLE: plugin.new_prefix(),
            deadline.DEADLINE_VARIABLE: f"{ends:.3f}" if ends else "",
        }
        with _environment(environment), interruption.armed(ends):
            try:
                plugins = [collector, progress, interruption]
                code = pytest.main(pytest_arguments(live), plugins=plugins)
            except KeyboardInterrupt:  # one that came while pytest itself was ending
                collector.interrupted, code = True, pytest.ExitCode.INTERRUPTED
            finally:
                interruption.taken.set()
                if not target.embedded:
                    with _signals_held():
                        _final_sweep(live, environment[plugin.PREFIX_VARIABLE])
    if collector.errors:
        raise RunError(f"the suite could not be loaded: {collector.errors[0]}")
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return RunOutcome(EXIT_USAGE, None, report_dir)
    cut_short = incomplete(collector, interruption, target)
    if cut_short is None and (
        code == pytest.ExitCode.NO_TESTS_COLLECTED or not collector.observations
    ):
        raise RunError("the suite collected no tests for this profile")
    summary = Summary(
        target=_describe(target, live),
        versions=versions(),
        seed=target.seed,
        profile=target.profile,
        started=started_at.isoformat(timespec="seconds"),
        duration=time.monotonic() - started,
        observations=collector.observations,
        traffic=collector.traffic,
        retries=collector.retries,
        incomplete=cut_short,
        coverage=coverage.compute(
            collector.tally,
            collector.value_lists,
            spec.rules(),
            target.unreachable,
            target.min_coverage,
        ),
    )
    if baseline is not None:
        comparing.apply_baseline(summary, baseline, str(target.baseline))
    if accepted is not None:
        expectations.apply(summary, accepted)
    progress.phase(f"writing the reports in {report_dir}")
    with _signals_held():  # a second Ctrl-C does not cut the reports short
        write_summary(summary, report_dir / "summary.json")
        write_junit(summary, report_dir / "junit.xml")
        report.write_html(summary, collector.examples, report_dir / "report.html")
        job_summary.write(summary, report_dir / "summary.md", report_dir / "report.html")
    unreachable = [o for o in summary.observations if o.check == plugin.UNREACHABLE]
    if unreachable:
        raise Unreachable(
            f"target {live.url} stopped answering during the run ({len(unreachable)} tests "
            f"could not reach it); reports in {report_dir}; if it comes back, "
            "`bigv-conformance sweep` removes what the run left"
        )
    if interruption.reason in ("SIGINT", "SIGTERM"):
        return RunOutcome(EXIT_INTERRUPTED, summary, report_dir)
    covered = summary.coverage is None or summary.coverage["met"] is not False
    return RunOutcome(
        EXIT_CONFORMANT if summary.conformant and covered else EXIT_NOT_CONFORMANT,
        summary,
        report_dir,
    )


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM ignored while the run cleans up or writes its reports."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {number: signal.signal(number, signal.SIG_IGN) for number in _STOPPING}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _final_sweep(live: Target, prefix: str) -> None:
    """After every test process is done, remove anything still named with the run's prefix."""
    if live.profile == "read-only":
        return
    with contextlib.suppress(SweepError, OtpCommandFailed):
        sweep(live, f"{prefix}-", dry_run=False, say=lambda line: None)


def _describe(target: Target, live: Target) -> dict[str, Any]:
    return {
        "url": target.url or "embedded emulator",
        "account": live.account,
        "group": target.group,
        "cluster_domain": live.cluster_domain,
        "user": target.user,
        "embedded": target.embedded,
        "url_used": live.url,
        "tls": tls.describe_target(live),
    }


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
