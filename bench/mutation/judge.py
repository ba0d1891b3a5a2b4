"""cosmic-ray's test command: judge the emulator of the current directory with the real CLI.

Run in a worker's copy of the tree (its working directory), where cosmic-ray has just written one
mutant. `bigv-conformance run` is the unchanged suite of this worktree (the installed command);
the embedded emulator it starts (`python -m emulator`) is the copy's, because the copy comes first
on the emulator's path (its working directory, and PYTHONPATH here).

The first line printed is `judge: exit N` (cosmic-ray keeps stdout, and the harness counts exit 2
apart from exit 1), then the verdict and what the run found. Exit status: 0 when the run was
CONFORMANT (the mutant survives), 1 otherwise (killed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROBLEMS_SHOWN = 8


def command(seed: int, report_dir: Path) -> list[str]:
    here = str(Path(sys.executable).parent)
    cli = shutil.which("bigv-conformance", path=here) or "bigv-conformance"
    return [cli, "run", "--workers", "1", "--seed", str(seed), "--report-dir", str(report_dir)]


def findings(report_dir: Path) -> list[str]:
    """One line per problem of the run's summary.json (none when it wrote none)."""
    try:
        summary = json.loads((report_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return []
    lines = [f"verdict: {summary.get('verdict')}"]
    for problem in summary.get("problems", [])[:PROBLEMS_SHOWN]:
        where = problem.get("operation") or ", ".join(problem.get("tests", [])[:1])
        lines.append(f"problem: [{problem.get('level')}] {problem.get('title')} ({where})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="the suite's --seed")
    args = parser.parse_args(argv)
    tree = Path.cwd()
    report_dir = tree / ".judge-report"
    shutil.rmtree(report_dir, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        command(args.seed, report_dir),
        cwd=tree,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"judge: exit {done.returncode}")
    print("\n".join(findings(report_dir)))
    if done.returncode not in (0, 1):
        print("\n".join((done.stderr or done.stdout).strip().splitlines()[-5:]))
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
