"""Benchmark of the suite against a bare `st run` (a benchmark, not a test: nothing asserts
on time).

    python bench/suite_bench.py [--rounds R] [--examples N] [--seed S] [--no-write]

Against one reference emulator in a process of its own (reset between runs, every request
counted from its log), in the same run, rounds interleaved:
1. `bigv-conformance run` with its default workers (one per core, at most 2) against the
   bare `st run spec/bigv.openapi.yaml` with the same example budget and seed: the ratio of
   the medians of wall time (target: the suite, which does more, takes no longer);
2. requests per second the suite drives with 1 and with 2 workers, and its peak memory: the
   resident memory of all its processes together (the command and its pytest workers),
   sampled every 20 ms (target < 400 MB);
3. time to verdict on a slow cloud: the same run against an emulator that takes 3 s to
   create or reimage a machine (`--provision-delay 3`); the run may grow by at most four
   delays over the run at no delay.

Prints a table and rewrites the suite section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from common import ROOT, VERDICT, Server, machine_description, proc_status, write_benchmark

SEED_FILE = ROOT / "fixtures" / "seeds" / "two-accounts.yaml"
SPEC = ROOT / "spec" / "bigv.openapi.yaml"
DELAY = 3.0
TARGET_MEMORY_MB, TARGET_DELAYS = 400, 4

# Profiles of the hot paths and what was done about them (kept with the results).
HISTORY = [
    "Before (commit 5da041d, 1 worker, the only choice then): 14.5 s for the suite against "
    "8.7-10 s for the bare `st run` (budget 10, seed 1), 3,998 requests; with "
    "`--provision-delay 3` the run took 191 s, every scenario waiting for its own machine "
    "one after the other (about 50 delays), and it failed: a machine asked to be created "
    "off looks provisioned while still provisioning, and a start sent then was undone when "
    "provisioning ended (a 30 s timeout). Now such a machine is created running and "
    "stopped, power_on turning true being the documented sign that provisioning is over.",
    "cProfile of a run: 1,933 new TCP connections, one per schemathesis probe (a fresh session "
    "each, to carry no cookie); `requests` reading the environment's proxy settings on every "
    "request (2.0 s of 31.8 s); every exchange recorded and redacted twice, through a JSON "
    "round trip (1.8 s). Fixed: one cookie-refusing keep-alive probe session per thread; "
    "proxies and CA bundle read once per session; an exchange recorded once, bodies without "
    "a secret-bearing field kept as sent. 14.5 s -> 13.1 s.",
    "py-spy of a 2-worker run: each pytest process spent ~2 s recompiling hypothesis and "
    "schemathesis for assertion rewriting (pytest rewrites its plugins' modules, and these "
    "machines set PYTHONDONTWRITEBYTECODE, so nothing is cached). The suite never relies on "
    "bare asserts: `--assert=plain`. 2 workers: 11.6 s -> 9.2 s.",
    "Half the requests (1,933 of 3,998) were schemathesis' ignored_auth probes: in pytest it "
    "probes after every successful request, where `st run` confirms each operation once per "
    "run. The suite gives the check the same memory (once per operation and process): "
    "2,213 requests, 9.3 s -> 7.3 s.",
    "pytest-xdist, one worker per core (at most two): the tests that create machines "
    "(scenarios, stateful run, the creates' property tests) are one xdist group, run by one "
    "worker while the other runs the rest; each scenario declares the machines it creates "
    "(`provisions=`) and the first scenario creates them all at once, so their provisioning "
    "overlaps: 191 s -> 15 s at `--provision-delay 3`. The delays left are the first "
    "scenario's wait for its machine, the create-listed scenario's own create (it is about "
    "the newest machine) and the reimage scenario's reimage.",
    "Spec documents loaded once with libyaml and handed to schemathesis as dicts, not "
    "re-read from disk for each of the three schemas.",
]


@dataclass
class Measure:
    """One timed command against the emulator."""

    seconds: float
    requests: int
    peak_mb: float
    code: int


class Emulator:
    """The reference emulator with its request log, reset to its seeded state on demand."""

    def __init__(self, scratch: Path, *arguments: str) -> None:
        self.log_path = scratch / f"emulator-{len(list(scratch.iterdir()))}.log"
        self.log = self.log_path.open("w")
        command = [sys.executable, "-m", "emulator", "--port", "0", "-v"]
        self.server = Server([*command, "--seed-file", str(SEED_FILE), *arguments], log=self.log)
        self.url = self.server.url

    def served(self) -> int:
        """Requests answered so far (one log line each)."""
        self.log.flush()
        return self.log_path.read_text(errors="replace").count(" -> ")

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/_emulator/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self) -> None:
        self.server.stop()
        self.log.close()


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            total += int(proc_status(pid)["VmRSS"].split()[0])
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, KeyError):
            continue
    return total / 1024


def timed(command: list[str], emulator: Emulator) -> Measure:
    """Run `command` to its end: wall time, requests served, peak memory of its tree."""
    emulator.reset()
    before = emulator.served()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mb(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode not in (0, 1) or "Traceback" in errors:
        raise SystemExit(f"{command[:3]} failed ({process.returncode}): {errors[-2000:]}")
    return Measure(seconds, emulator.served() - before, peak, process.returncode)


def st_command(url: str, examples: int, seed: int) -> list[str]:
    """The bare schemathesis run a user would pick instead."""
    st = str(Path(sys.executable).with_name("st"))
    budget = ["--max-examples", str(examples), "--seed", str(seed)]
    return [st, "run", str(SPEC), "--url", url, "-a", "alice:secret", *budget]


def suite_command(url: str, examples: int, seed: int, report_dir: Path, workers: int) -> list[str]:
    command = [sys.executable, "-m", "bigv_conformance", "run", "--target", url]
    command += ["--account", "conformance", "--user", "alice", "--password", "secret"]
    command += ["--cluster-domain", "uk0.bigv.io", "--report-dir", str(report_dir)]
    command += ["--max-examples", str(examples), "--seed", str(seed)]
    return [*command, "--workers", str(workers)]


def run(rounds: int, examples: int, seed: int) -> dict[str, object]:
    from conformance.target.configuration import default_workers

    default = default_workers()
    suite = f"suite-{default}"
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        emulator = Emulator(scratch)
        try:
            commands = {"st": st_command(emulator.url, examples, seed)}
            for workers in sorted({1, 2, default}):
                commands[f"suite-{workers}"] = suite_command(
                    emulator.url, examples, seed, scratch / "r", workers
                )
            measures: dict[str, list[Measure]] = {name: [] for name in commands}
            ratios = []
            for turn in range(rounds):  # interleaved, the order alternating
                order = list(commands) if turn % 2 == 0 else list(commands)[::-1]
                for name in order:
                    measures[name].append(timed(commands[name], emulator))
                ratios.append(measures[suite][-1].seconds / measures["st"][-1].seconds)
        finally:
            emulator.stop()
        slow_emulator = Emulator(scratch, "--provision-delay", str(DELAY))
        try:
            slow_command = suite_command(slow_emulator.url, examples, seed, scratch / "r", default)
            slow = [timed(slow_command, slow_emulator) for _ in range(max(1, rounds // 2))]
        finally:
            slow_emulator.stop()
    failed = [name for name, found in measures.items() if name != "st" and found[-1].code]
    if failed or any(m.code for m in slow):
        raise SystemExit(f"the suite did not pass the emulator: {failed or 'slow cloud'}")
    median = {name: statistics.median(m.seconds for m in found) for name, found in measures.items()}
    slow_seconds = statistics.median(m.seconds for m in slow)
    return {
        "rounds": rounds,
        "examples": examples,
        "seed": seed,
        "default_workers": default,
        "suite": suite,
        "median": median,
        "requests": {name: found[-1].requests for name, found in measures.items()},
        "rate": {
            name: statistics.median(m.requests / m.seconds for m in found)
            for name, found in measures.items()
        },
        "peak_mb": {name: max(m.peak_mb for m in found) for name, found in measures.items()},
        "codes": {name: sorted({m.code for m in found}) for name, found in measures.items()},
        "ratio": median[suite] / median["st"],
        "ratio_range": (min(ratios), max(ratios)),
        "slow_seconds": slow_seconds,
        "slow_codes": sorted({m.code for m in slow}),
        "delays": (slow_seconds - median[suite]) / DELAY,
    }


def table(r: dict[str, object]) -> list[str]:
    median, requests, rate, peak = r["median"], r["requests"], r["rate"], r["peak_mb"]
    workers, suite = r["default_workers"], r["suite"]
    suite_peak = max(value for name, value in peak.items() if name.startswith("suite"))
    return [
        "| measure | value | target |",
        "|---|---|---|",
        f"| bare `st run` (budget {r['examples']}, seed {r['seed']}) | {median['st']:.1f} s, "
        f"{requests['st']:,} requests, {rate['st']:.0f} req/s, peak {peak['st']:.0f} MB | |",
        f"| `bigv-conformance run`, default workers ({workers}) | {median[suite]:.1f} s, "
        f"{requests[suite]:,} requests, {rate[suite]:.0f} req/s | |",
        f"| time ratio, suite / `st run` (median of {r['rounds']} rounds; range "
        f"{r['ratio_range'][0]:.2f}-{r['ratio_range'][1]:.2f}) | {r['ratio']:.2f} "
        f"| <= 1 ({VERDICT[r['ratio'] <= 1]}) |",
        f"| requests per second the suite drives, 1 worker | {rate['suite-1']:.0f} req/s "
        f"({median['suite-1']:.1f} s, {requests['suite-1']:,} requests) | |",
        f"| requests per second the suite drives, 2 workers | {rate['suite-2']:.0f} req/s "
        f"({median['suite-2']:.1f} s, {requests['suite-2']:,} requests) | |",
        f"| suite peak memory, all its processes (1 worker / 2 workers) | "
        f"{peak['suite-1']:.0f} MB / {peak['suite-2']:.0f} MB "
        f"| < {TARGET_MEMORY_MB} MB ({VERDICT[suite_peak < TARGET_MEMORY_MB]}) |",
        f"| slow cloud (`--provision-delay {DELAY:g}`), default workers | "
        f"{r['slow_seconds']:.1f} s: {r['delays']:.1f} delays more than at no delay "
        f"| <= {TARGET_DELAYS} delays ({VERDICT[r['delays'] <= TARGET_DELAYS]}) |",
    ]


def write_results(lines: list[str], about: dict[str, str], r: dict[str, object]) -> None:
    method = (
        "One emulator process (`python -m emulator -v`, reset to its seeded state before each "
        "run, requests counted from its log) serves every run; the commands run "
        f"{r['rounds']} times each, interleaved, the order alternating; figures are medians. "
        "Memory: resident memory of the command and all its child processes together, "
        "sampled every 20 ms (shared pages counted in each process: an upper bound). The "
        "suite runs every operation's property tests, the stateful links, all scenarios and "
        "writes its three reports; `st run` runs its three phases and stateful tests and "
        f"writes nothing. Exit codes: suite {r['codes'][r['suite']]}, `st run` "
        f"{r['codes']['st']} (it fails its own ST202 on the unknown accounts it generates); "
        f"slow-cloud suite {r['slow_codes']}."
    )
    write_benchmark("suite", "The suite against a bare `st run`", about, method, lines, HISTORY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=10, help="example budget (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not rewrite RESULTS.md")
    arguments = parser.parse_args()
    about = machine_description("schemathesis", "hypothesis", "pytest", "pytest-xdist")
    result = run(arguments.rounds, arguments.examples, arguments.seed)
    lines = table(result)
    print("\n".join(lines))
    if not arguments.no_write:
        write_results(lines, about, result)
        print("\nwritten to bench/RESULTS.md")


if __name__ == "__main__":
    main()
