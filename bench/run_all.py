"""Run every benchmark, one after the other, and regenerate bench/RESULTS.md.

    python bench/run_all.py        (or: tox -e bench)

Benchmarks are never part of the tests: the machines are shared and noisy, so figures are
ratios measured side by side in one run, and nothing asserts on time. Exits 1 when a
target is missed (the table says which).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common import RESULTS, ROOT, machine_description, write_section

BENCHMARKS = ["emulator_bench.py", "suite_bench.py"]


def main() -> None:
    about = machine_description()
    for script in BENCHMARKS:
        print(f"== {script}", flush=True)
        done = subprocess.run([sys.executable, str(Path(__file__).parent / script)], cwd=ROOT)
        if done.returncode:
            raise SystemExit(f"{script} failed ({done.returncode})")
    write_section(
        "about",
        [
            "Regenerate every figure with one command: `tox -e bench` (it runs "
            "`python bench/run_all.py`). Last full run: "
            f"{about['date']}, {about['machine']}.",
        ],
    )
    missed = [line for line in RESULTS.read_text().splitlines() if "MISSED" in line]
    print("\n".join(["", *missed]) if missed else "\nevery target met")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
