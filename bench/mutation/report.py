"""Render the figures and the survivors' triage of bench/MUTATION.md from a run's results.

Reads `results.json` (and `reruns.json`, the latest re-run of each mutant) of the work directory
that `run.py` wrote, and `triage.toml` beside this file: one `[[mutant]]` per survivor, with its
`key`, `verdict` (one of VERDICTS) and `reason`. Rewrites the marked
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
# equivalent: no served behaviour changes. documentation allows it: the change takes another
# reading the documentation leaves open (a silent point of spec/register.yaml), or changes
# only what the API never serves; the suite must pass it (a kill would be a false alarm).
# missed: a documented behaviour changed and the suite said nothing. check added: a check
# now reports it (re-run). reported (advisory): the run already reports advisory failures.
VERDICTS = (
    "equivalent",
    "documentation allows it",
    "missed",
    "check added",
    "check added (advisory)",
    "reported (advisory)",
)
NOT_COUNTED = ("equivalent", "documentation allows it")  # left out of the score


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


def counted(result: dict) -> str:
    return sampling.recount(result["outcome"], result["output"])


def counts_of(results: list[dict]) -> dict[str, int]:
    counts = {name: 0 for name in sampling.OUTCOMES}
    for result in results:
        counts[counted(result)] += 1
    return counts


def score_of(results: list[dict], triage: dict[str, dict[str, str]]) -> sampling.Score:
    left_out = sum(
        1
        for result in results
        if counted(result) == sampling.SURVIVED
        and triage.get(result["key"], {}).get("verdict") in NOT_COUNTED
    )
    return sampling.Score(counts_of(results), left_out)


def score_line(label: str, results: list[dict], triage: dict[str, dict[str, str]]) -> str:
    counts = counts_of(results)
    score = score_of(results, triage)
    return (
        f"| {label} | {counts[sampling.KILLED]} | {counts[sampling.KILLED_EXIT_2]} "
        f"| {counts[sampling.TIMEOUT]} | {counts[sampling.KILLED_ADVISORY]} "
        f"| {counts[sampling.SURVIVED]} | {score.equivalent} | {counts[sampling.INCOMPETENT]} "
        f"| **{score.killed} / {score.judged} = {score.percent:.1f}%** "
        f"| {score.gate_killed} / {score.judged} = {score.gate_percent:.1f}% |"
    )


def figures(run: dict, reruns: dict[str, dict], triage: dict[str, dict[str, str]]) -> list[str]:
    results = run["results"]
    minutes = run["seconds"] / 60
    versions = run.get("versions", run["engine"])  # runs before 17e5f84 name the engine only
    left_out = "; ".join(f"{count}: {reason}" for reason, count in run["left_out"].items())
    final = after_checks(results, reruns)
    verdicts = Counter(
        triage.get(result["key"], {}).get("verdict", "not triaged")
        for result in final
        if counted(result) == sampling.SURVIVED
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
        "| | killed (exit 1) | killed (exit 2) | killed (timeout) | killed (advisory failures "
        "only) | survived | of which equivalent or allowed by the documentation | incompetent "
        "| score: reported | by the exit code alone |",
        "|---|---|---|---|---|---|---|---|---|---|",
        score_line("the run", results, triage),
    ]
    if reruns:
        lines.append(score_line("after the checks added", final, triage))
    lines += [
        "",
        "score = killed (all four kinds) / (killed + survived - equivalent - allowed by the "
        "documentation); incompetent mutants have no verdict and count in neither. *By the exit "
        "code alone* counts only the first three kinds.",
        "",
        "Survivors after the checks added, by triage: "
        + (", ".join(f"{verdict} {count}" for verdict, count in sorted(verdicts.items())) or "none")
        + ".",
    ]
    return lines


def survivors(run: dict, reruns: dict[str, dict], triage: dict[str, dict[str, str]]) -> list[str]:
    """Every mutant the exit code did not kill: survivors and those killed by advisory
    failures only, with the triage and the latest re-run."""
    lines = [
        "| mutant | operator | change | outcome | advisory failures reported | triage | why "
        "| re-run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    untriaged = []
    for result in run["results"]:
        outcome = counted(result)
        if outcome not in (sampling.SURVIVED, sampling.KILLED_ADVISORY):
            continue
        rerun = reruns.get(result["key"], {})
        latest = counted({**result, **rerun})
        entry = triage.get(result["key"])
        if entry is None and sampling.SURVIVED in (outcome, latest):
            untriaged.append(result["key"])
        entry = entry or {"verdict": "reported (advisory)", "reason": ""}
        advisory = sampling.advisory_findings(rerun.get("output") or result["output"])
        operator = result["operator"].removeprefix("core/")
        lines.append(
            f"| `{result['module']}:{result['line']}` | {operator} "
            f"| {one_line_diff(result['diff'])} | {outcome} | {'; '.join(advisory) or 'none'} "
            f"| {entry['verdict']} | {' '.join(entry['reason'].split())} "
            f"| {latest if rerun else ''} |"
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
