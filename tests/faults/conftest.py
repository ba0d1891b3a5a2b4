"""Running the catalogue: each entry in its own emulator, proxy and CLI run, in parallel.

`python3 dev.py test` runs pytest without xdist, so the catalogue parallelises itself: the
first catalogue test to run starts every selected entry on a small thread pool (each entry
is a CLI subprocess against its own in-process emulator and proxy), and each test then
waits for its own entry. Under xdist (`pytest -n 2`) the workers are the parallelism and
each test runs its entry itself. `BIGV_FAULTS_WORKERS` sets the pool's size (default 2,
the CI machine's cores).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.faults.catalogue import BY_NAME, Entry
from tests.faults.harness import RunResult, run_entry

WORKERS_VARIABLE = "BIGV_FAULTS_WORKERS"


class Runs:
    """Catalogue runs, started ahead on a thread pool (or one at a time, on demand)."""

    def __init__(self, root: Path, workers: int, ahead: list[str]) -> None:
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fault")
        self.futures: dict[str, Future[RunResult]] = {}
        for name in sorted(ahead, key=lambda name: -BY_NAME[name].cost):  # costly ones first
            self.submit(BY_NAME[name])

    def submit(self, entry: Entry) -> Future[RunResult]:
        if entry.name not in self.futures:
            workdir = self.root / entry.name
            self.futures[entry.name] = self.pool.submit(run_entry, entry, workdir)
        return self.futures[entry.name]

    def result(self, entry: Entry) -> RunResult:
        return self.submit(entry).result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _selected(session: pytest.Session) -> list[str]:
    """The names of the catalogue entries this session will run, in order."""
    names = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        entry = callspec.params.get("entry") if callspec else None
        if isinstance(entry, Entry) and "catalogue_runs" in getattr(item, "fixturenames", ()):
            names.append(entry.name)
    return names


@pytest.fixture(scope="session")
def catalogue_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    """The runs of the selected catalogue entries (report directories under pytest's tmp)."""
    root = tmp_path_factory.mktemp("faults")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        runs = Runs(root, workers=1, ahead=[])
    else:
        workers = int(os.environ.get(WORKERS_VARIABLE) or 2)
        runs = Runs(root, workers=max(1, workers), ahead=_selected(request.session))
    yield runs
    runs.close()
