"""Bounded time: the run's deadline, and the causes that block later scenarios.

A run ends by its deadline (`--deadline`, default 30 minutes) whatever the target does. The
runner gives every test process the moment it ends (`DEADLINE_VARIABLE`, seconds since the
epoch); past it, a test that has not started is not run (the plugin skips it, saying so),
and a test that is running stops at its next request (`DeadlinePassed`, raised by the run's
transport while the test's body runs) and is reported as stopped, not failed. Set-up,
teardown, cleanup and the reports are never cut.

A waiter that timed out establishes a cause (what it waited for, what it saw instead): a
later wait that sees the same thing gives up after a short grace and reports its scenario as
blocked by that cause (`Blocked`), instead of costing a full timeout each time.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DEADLINE_VARIABLE = "BIGV_RUN_DEADLINE"
DEFAULT_DEADLINE = 30 * 60.0  # seconds
# After the deadline, tests still running are stopped at their next request; a request
# takes at most REQUEST_TIMEOUT (conformance.target.transport). Past this grace the runner
# interrupts what is left, as Ctrl-C would.
GRACE = 90.0
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
_DURATION = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[smh]?)")
NO_DEADLINE = ("none", "off")


def parse_duration(value: Any) -> float | None:
    """Seconds of a duration such as `90`, `90s`, `15m` or `1.5h`; None for `none`/`off` (no
    deadline). ValueError for anything else, or for zero."""
    text = str(value).strip().lower()
    if text in NO_DEADLINE:
        return None
    match = _DURATION.fullmatch(text)
    if not match:
        raise ValueError(f"not a duration: {value!r}")
    seconds = float(match["number"]) * _UNITS[match["unit"]]
    if seconds <= 0:
        raise ValueError("must be positive")
    return seconds


def describe(seconds: float | None) -> str:
    """A deadline as a person gives it: `30m`, `90s`, or `none`."""
    if seconds is None:
        return "none"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


class DeadlinePassed(BaseException):
    """Raised into a running test once the run's deadline has passed.

    A BaseException, so that neither Hypothesis nor schemathesis takes it for a failure of
    the target and tries to shrink or report it: the test ends at once."""


_ENFORCED = threading.Event()  # a test's body runs (not its set-up, teardown or cleanup)


def ends_at() -> float | None:
    """The moment the run ends (seconds since the epoch), or None: no deadline."""
    value = os.environ.get(DEADLINE_VARIABLE)
    return float(value) if value else None


def passed() -> bool:
    end = ends_at()
    return end is not None and time.time() >= end


def check() -> None:
    """Stop the running test when the deadline has passed: only inside a test's body, so
    that teardown and cleanup always reach the target."""
    if _ENFORCED.is_set() and passed():
        raise DeadlinePassed("stopped: the run's deadline had passed")


def in_gc_callback(frame: Any) -> bool:
    """True when `frame` runs inside a callback of the garbage collector, where an exception
    raised (an interrupt) is printed and lost."""
    callbacks = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    while frame is not None:
        if frame.f_code in callbacks:
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def enforced() -> Iterator[None]:
    """While a test's body runs, no request starts past the deadline."""
    _ENFORCED.set()
    try:
        yield
    finally:
        _ENFORCED.clear()


# -- causes that block later scenarios -------------------------------------------------------------

# seconds a wait that meets an established cause still polls, when what it sees is a state
# (200 or 202) that provisioning may yet change; an error answer (a 404) blocks at once
BLOCKED_GRACE = 2.0


@dataclass(frozen=True)
class Cause:
    """A wait that timed out: the title of its failure and the scenario that met it."""

    title: str
    test_id: str


class Blocked(Exception):
    """A scenario met a cause another one established: it is reported as blocked by it."""

    def __init__(self, cause: Cause, seen: str, grace: float) -> None:
        self.cause = cause
        self.title = f"Blocked by: {cause.title}"
        self.message = (
            f"{seen} This is what made {cause.test_id} time out, so this scenario gave up "
            f"after {grace:g} s instead of waiting again; it is not judged."
        )
        super().__init__(self.title)


class Causes:
    """The causes established in this process, by what was wanted and what was seen."""

    def __init__(self) -> None:
        self._known: dict[tuple, Cause] = {}
        self._lock = threading.Lock()

    def establish(self, key: tuple, cause: Cause) -> None:
        with self._lock:
            self._known.setdefault(key, cause)

    def get(self, key: tuple) -> Cause | None:
        with self._lock:
            return self._known.get(key)


CAUSES = Causes()
