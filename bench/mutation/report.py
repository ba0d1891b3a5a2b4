"""Render the figures and the survivors' triage of bench/MUTATION.md from a run's results.

Reads `results.json` (and `reruns.json`, the latest re-run of each mutant) of the work directory
that `run.py` wrote, and `triage.toml` beside this file: one `[[mutant]]` per survivor, with its
`key`, `verdict` (equivalent, out of scope, check added) and `reason`. Rewrites the marked
sections `figures` and `survivors` of bench/MUTATION.md; the prose around them is kept.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(HERE.parent)]

import common  # noqa: E402
import sampling  # noqa: E402

MUTATION = ROOT / "bench" / "MUTATION.md"
TRIAGE = HERE / "triage.toml"
# "check added (advisory)": the suite now reports the mutant, as an advisory failure (its
# capability is advisory), which by design never changes the exit code.
VERDICTS = ("equivalent", "out of scope", "check added", "check added (advisory)")


def one_line_diff(diff: str | None) -> str:
    """`old` → `new` from a unified diff of one changed line (or of a few)."""
    removed, added = [], []
    for line in (diff or "").splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            removed.append(line[1:].strip())
        elif line.startswith("+"):
            added.append(line[1:].strip())
    text = f"`{' / '.join(removed)}` → `{' / '.join(added) or '(removed)'}`"
    return text.replace("|", "\\|")  # a table cell


def read_triage(path: Path) -> dict[str, dict[str, str]]:
    entries = tomllib.loads(path.read_text()).get("mutant", []) if path.exists() else []
    triage = {}
    for entry in entries:
        if entry.get("verdict") not in VERDICTS:
            raise SystemExit(f"{entry.get('key')}: verdict must be one of {', '.join(VERDICTS)}")
        triage[entry["key"]] = entry
    return triage


def after_checks(results: list[dict], reruns: dict[str, dict]) -> list[dict]:
    """The results with every re-run mutant's latest outcome in place of its first."""
    return [{**result, **reruns.get(result["key"], {})} for result in results]


def counts_of(results: list[dict]) -> dict[str, int]:
    counts = {name: 0 for name in sampling.OUTCOMES}
    for result in results:
        counts[sampling.recount(result["outcome"], result["output"])] += 1
    return counts


def score_line(label: str, results: list[dict], triage: dict[str, dict[str, str]]) -> str:
    counts = counts_of(results)
    equivalent = sum(
        1
        for result in results
        if result["outcome"] == sampling.SURVIVED
        and triage.get(result["key"], {}).get("verdict") == "equivalent"
    )
    score = sampling.Score(counts, equivalent)
    survived = counts[sampling.SURVIVED]
    return (
        f"| {label} | {counts[sampling.KILLED]} | {counts[sampling.KILLED_EXIT_2]} "
        f"| {counts[sampling.TIMEOUT]} | {survived} | {equivalent} "
        f"| {counts[sampling.INCOMPETENT]} | **{score.killed} / {score.judged} = "
        f"{score.percent:.1f}%** |"
    )


def figures(run: dict, reruns: dict[str, dict], triage: dict[str, dict[str, str]]) -> list[str]:
    results = run["results"]
    minutes = run["seconds"] / 60
    versions = run.get("versions", run["engine"])  # runs before 17e5f84 name the engine only
    left_out = "; ".join(f"{count}: {reason}" for reason, count in run["left_out"].items())
    verdicts = Counter(
        triage.get(result["key"], {}).get("verdict", "not triaged")
        for result in results
        if result["outcome"] == sampling.SURVIVED
    )
    lines = [
        f"Run `{run['command']}` on {run['date']}: {run['machine']}; {versions}.",
        "",
        f"- Mutants: {run['mutants']} made by every operator of {run['engine']} over "
        f"`emulator/` (less the modules it never mutates), {run['in_scope']} in scope; left "
        f"out: {left_out}.",
        f"- Sample: {run['size']} mutants, seed {run['seed']}; the suite's `--seed "
        f"{run['suite_seed']}`, `--workers 1` per mutant, {run['parallel']} mutants at once, "
        f"timeout {run['timeout']:.0f} s per mutant.",
        f"- Time: {minutes:.1f} min for the whole run (the unmutated baseline "
        f"{run['baseline_seconds']:.0f} s of it).",
        "",
        "| | killed (exit 1) | killed (exit 2) | killed (timeout) | survived | of which "
        "equivalent | incompetent | score |",
        "|---|---|---|---|---|---|---|---|",
        score_line("the run", results, triage),
    ]
    if reruns:
        lines.append(score_line("after the checks added", after_checks(results, reruns), triage))
    reported = sum(
        1
        for result in results
        if result["outcome"] == sampling.SURVIVED
        and sampling.advisory_findings(reruns.get(result["key"], result)["output"])
    )
    judged_in_scope = sampling.Score(counts_of(results), verdicts["equivalent"])
    in_scope = judged_in_scope.judged - verdicts["out of scope"]
    lines += [
        "",
        "score = killed (all three kinds) / (killed + survived - equivalent); incompetent "
        "mutants have no verdict and count in neither.",
        "",
        f"Leaving out the survivors triaged *out of scope* as well (each argued in the table): "
        f"{judged_in_scope.killed} / {in_scope} = "
        f"{100.0 * judged_in_scope.killed / in_scope if in_scope else 0.0:.1f}% killed.",
        "",
        "Survivors by triage: "
        + ", ".join(f"{verdict} {count}" for verdict, count in sorted(verdicts.items()))
        + f"; {reported} of them reported by the suite as advisory failures (after the checks "
        "added).",
    ]
    return lines


def survivors(run: dict, reruns: dict[str, dict], triage: dict[str, dict[str, str]]) -> list[str]:
    lines = [
        "| mutant | operator | change | advisory failures reported | triage | why | re-run |",
        "|---|---|---|---|---|---|---|",
    ]
    untriaged = []
    for result in run["results"]:
        if result["outcome"] != sampling.SURVIVED:
            continue
        entry = triage.get(result["key"])
        if entry is None:
            untriaged.append(result["key"])
            entry = {"verdict": "**not triaged**", "reason": ""}
        rerun = reruns.get(result["key"], {})
        advisory = sampling.advisory_findings(rerun.get("output") or result["output"])
        operator = result["operator"].removeprefix("core/")
        lines.append(
            f"| `{result['module']}:{result['line']}` | {operator} "
            f"| {one_line_diff(result['diff'])} | {'; '.join(advisory) or 'none'} "
            f"| {entry['verdict']} | {' '.join(entry['reason'].split())} "
            f"| {rerun.get('outcome', '')} |"
        )
    if untriaged:
        print(f"not triaged yet: {', '.join(untriaged)}", file=sys.stderr)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=ROOT / "reports" / "mutation")
    args = parser.parse_args(argv)
    run = json.loads((args.work_dir / "results.json").read_text())
    reruns_file = args.work_dir / "reruns.json"
    reruns = json.loads(reruns_file.read_text()) if reruns_file.exists() else {}
    triage = read_triage(TRIAGE)
    common.write_section("figures", figures(run, reruns, triage), MUTATION)
    common.write_section("survivors", survivors(run, reruns, triage), MUTATION)
    print(f"wrote {MUTATION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
