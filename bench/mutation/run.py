"""Mutation score of the suite over the reference emulator (`tox -e mutation`).

cosmic-ray mutates `emulator/` (never `spec/`, which the suite reads too); each mutant is judged
by the unchanged suite, the real `bigv-conformance run` against the mutated emulator
(`judge.py`). Steps, all under the work directory (default `reports/mutation/`):

1. copy the emulator and the spec into one tree per parallel worker (`tree-N/`): a worker
   mutates and serves only its own copy, never the worktree or another worker's copy;
2. `cosmic-ray init` lists every mutant of every operator; the seeded sample (`sampling.py`)
   keeps SIZE of those in scope, the rest are marked skipped in the session;
3. a baseline: the unmutated copy must be CONFORMANT under the judge, or the run stops;
4. `cosmic-ray exec` with its http distributor and one `cosmic-ray http-worker` per tree;
5. `results.json`: every sampled mutant with its outcome, diff and the judge's output; then
   `report.py` renders bench/MUTATION.md from it and the triage.

`--only KEY ...` re-runs named mutants (keys as in results.json) instead of a sample: how a
survivor is confirmed killed after a check is added. `--prove` runs the judge once on a copy with
a hand-made break (getVirtualMachine answering 500) and once on an unmutated copy, and fails
unless the first is killed and the second survives.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(HERE.parent)]

import common  # noqa: E402
import sampling  # noqa: E402

PYTHON = sys.executable
COSMIC_RAY = str(Path(PYTHON).with_name("cosmic-ray"))
COPIED = ("emulator", "spec")
WORKER_START = 30.0
# The hand-made break of --prove: getVirtualMachine raises, which the emulator answers with 500.
PROOF_FILE = "emulator/http.py"
PROOF_ANCHOR = "            operation = self.validator.operations[endpoint]\n"
PROOF_BREAK = (
    '            if endpoint == "getVirtualMachine":\n'
    '                raise RuntimeError("hand-made break of the mutation harness proof")\n'
)


def copy_tree(destination: Path) -> Path:
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    for name in COPIED:
        shutil.copytree(
            ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    return destination


def judge_command(suite_seed: int) -> str:
    return f"{PYTHON} {HERE / 'judge.py'} --seed {suite_seed}"


def judge(tree: Path, suite_seed: int, timeout: float) -> tuple[str, str, float]:
    """Run the judge once in `tree`, as cosmic-ray's workers run it (its own run_tests: the
    timeout kills the whole process group): (outcome, output, seconds)."""
    from cosmic_ray.testing import run_tests

    started = time.monotonic()
    with contextlib.chdir(tree):
        test, output = run_tests(judge_command(suite_seed), timeout)
    return sampling.outcome("normal", test.value, output), output, time.monotonic() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path: Path, ports: list[int], suite_seed: int, timeout: float) -> None:
    excluded = ", ".join(f'"{module}"' for module in sampling.EXCLUDED_MODULES)
    urls = ", ".join(f'"http://127.0.0.1:{port}"' for port in ports)
    path.write_text(
        "[cosmic-ray]\n"
        'module-path = "emulator"\n'
        f"excluded-modules = [{excluded}]\n"
        f'test-command = "{judge_command(suite_seed)}"\n'
        f"timeout = {timeout}\n\n"
        "[cosmic-ray.distributor]\n"
        'name = "http"\n\n'
        "[cosmic-ray.distributor.http]\n"
        f"worker-urls = [{urls}]\n"
    )


def session_mutants(session: Path) -> list[tuple[sampling.Mutant, object]]:
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(session), WorkDB.Mode.open) as db:
        results = dict(db.results)
        pairs = []
        for item in db.work_items:
            (spec,) = item.mutations
            mutant = sampling.Mutant(
                job_id=item.job_id,
                module=str(spec.module_path),
                operator=spec.operator_name,
                occurrence=spec.occurrence,
                line=spec.start_pos[0],
                column=spec.start_pos[1],
                definition=spec.definition_name,
            )
            pairs.append((mutant, results.get(item.job_id)))
    return pairs


def skip_all_but(session: Path, keep: set[str]) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    skipped = WorkResult(worker_outcome=WorkerOutcome.SKIPPED)
    with use_db(str(session), WorkDB.Mode.open) as db:
        others = [item.job_id for item in db.work_items if item.job_id not in keep]
        db.set_multiple_results(others, skipped)


def start_workers(trees: list[Path], ports: list[int], log_dir: Path) -> list[subprocess.Popen]:
    workers = []
    for tree, port in zip(trees, ports, strict=True):
        log = (log_dir / f"worker-{port}.log").open("w")
        workers.append(
            subprocess.Popen(
                [COSMIC_RAY, "http-worker", "--port", str(port)],
                cwd=tree,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + WORKER_START
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    stop_workers(workers)
                    message = f"cosmic-ray http-worker on port {port} did not start"
                    raise SystemExit(message) from None
                time.sleep(0.2)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def prove(work: Path, suite_seed: int, timeout: float) -> int:
    broken = copy_tree(work / "proof-broken")
    source = broken / PROOF_FILE
    text = source.read_text()
    if PROOF_ANCHOR not in text:
        raise SystemExit(f"the proof's anchor is no longer in {PROOF_FILE}")
    source.write_text(text.replace(PROOF_ANCHOR, PROOF_ANCHOR + PROOF_BREAK, 1))
    clean = copy_tree(work / "proof-clean")
    ok = True
    for name, tree, wanted in (("broken", broken, sampling.KILLED), ("clean", clean, "survived")):
        result, output, seconds = judge(tree, suite_seed, timeout)
        print(f"proof, {name} copy: {result} in {seconds:.0f} s (wanted {wanted})")
        print("  " + "\n  ".join(output.strip().splitlines()[:6]))
        ok = ok and result == wanted
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=90, help="mutants in the sample")
    parser.add_argument("--seed", type=int, default=14, help="seed of the sample")
    parser.add_argument("--suite-seed", type=int, default=1, help="the suite's --seed")
    parser.add_argument("--parallel", type=int, default=2, help="mutants judged at once")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "reports" / "mutation")
    parser.add_argument("--only", nargs="+", metavar="KEY", help="re-run these mutants only")
    parser.add_argument("--prove", action="store_true", help="prove the harness, then stop")
    args = parser.parse_args(argv)
    work: Path = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.prove:
        return prove(work, args.suite_seed, args.timeout)

    started = time.monotonic()
    trees = [copy_tree(work / f"tree-{n}") for n in range(args.parallel)]
    ports = [free_port() for _ in trees]
    config, session = work / "cosmic-ray.toml", work / "session.sqlite"
    session.unlink(missing_ok=True)
    write_config(config, ports, args.suite_seed, args.timeout)
    subprocess.run([COSMIC_RAY, "init", str(config), str(session)], cwd=trees[0], check=True)

    pairs = session_mutants(session)
    sources = {module: (trees[0] / module).read_text() for module in {m.module for m, _ in pairs}}
    in_scope, left_out = sampling.eligible((m for m, _ in pairs), sources)
    if args.only:
        wanted = set(args.only)
        chosen = [m for m in in_scope if m.key in wanted]
        missing = wanted - {m.key for m in chosen}
        if missing:
            raise SystemExit(f"not mutants in scope: {', '.join(sorted(missing))}")
    else:
        chosen = sampling.sample(in_scope, args.size, args.seed)
    skip_all_but(session, {m.job_id for m in chosen})
    print(
        f"{len(pairs)} mutants, {len(in_scope)} in scope, {len(chosen)} to judge; "
        f"left out: {dict(left_out)}",
        flush=True,
    )

    baseline, output, baseline_seconds = judge(trees[0], args.suite_seed, args.timeout)
    print(f"baseline (unmutated copy): {baseline} in {baseline_seconds:.0f} s", flush=True)
    if baseline != sampling.SURVIVED:
        print(output)
        raise SystemExit("the unmutated emulator is not CONFORMANT under the judge: stopping")

    workers = start_workers(trees, ports, work)
    try:
        subprocess.run([COSMIC_RAY, "exec", str(config), str(session)], cwd=trees[0], check=True)
    finally:
        stop_workers(workers)

    results = []
    for mutant, result in session_mutants(session):
        if mutant.job_id not in {m.job_id for m in chosen}:
            continue
        counted = (
            sampling.outcome(result.worker_outcome.value, result.test_outcome, result.output)
            if result
            else sampling.INCOMPETENT
        )
        results.append(
            {
                "key": mutant.key,
                "module": mutant.module,
                "line": mutant.line,
                "operator": mutant.operator,
                "definition": mutant.definition,
                "outcome": counted,
                "diff": result.diff if result else None,
                "output": result.output if result else None,
            }
        )
    counts = Counter(r["outcome"] for r in results)
    about = common.machine_description("cosmic-ray", "schemathesis")
    summary = {
        "engine": about["versions"].split(",")[0],
        "date": about["date"],
        "machine": f"{about['machine']}; {about['os']}; Python {about['python']}",
        "versions": about["versions"],
        "command": " ".join(["python bench/mutation/run.py", *(argv or sys.argv[1:])]),
        "mutants": len(pairs),
        "in_scope": len(in_scope),
        "left_out": dict(left_out),
        "size": len(chosen),
        "seed": args.seed,
        "suite_seed": args.suite_seed,
        "parallel": args.parallel,
        "timeout": args.timeout,
        "only": args.only,
        "baseline_seconds": round(baseline_seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
        "counts": {name: counts.get(name, 0) for name in sampling.OUTCOMES},
        "results": sorted(results, key=lambda r: r["key"]),
    }
    if args.only:
        # Re-runs accumulate, the latest of each mutant winning: how survivors are confirmed.
        reruns_file = work / "reruns.json"
        reruns = json.loads(reruns_file.read_text()) if reruns_file.exists() else {}
        for result in summary["results"]:
            reruns[result["key"]] = {**result, "date": summary["date"]}
        reruns_file.write_text(json.dumps(reruns, indent=1, sort_keys=True) + "\n")
        name = "rerun.json"
    else:
        name = "results.json"
    (work / name).write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{summary['counts']} in {summary['seconds']:.0f} s; {work / name}")
    for result in summary["results"]:
        if result["outcome"] == sampling.SURVIVED:
            print(f"survived: {result['key']} (line {result['line']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
