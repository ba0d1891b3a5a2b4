"""The pure parts of the mutation harness: which mutants are in scope, the seeded sample, how a
mutant's run is counted and the score. No I/O beyond reading the emulator's sources.

A mutant is named by its *key*, `module:operator:occurrence` (cosmic-ray's own coordinates):
stable as long as the emulator's source does not change, so a survivor can be re-run alone.
"""

from __future__ import annotations

import ast
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Whole modules cosmic-ray never mutates (`excluded-modules` of its configuration).
EXCLUDED_MODULES: dict[str, str] = {
    "emulator/divergent.py": "the deliberately divergent mode, off by default: out of scope by "
    "construction",
    "emulator/cli.py": "command-line parsing: the suite always starts the emulator with the same "
    "arguments, and a wrong flag is a usage error of the emulator, not API behaviour",
    "emulator/__main__.py": "the entry point (`python -m emulator`): no behaviour of its own",
}

# Functions (cosmic-ray's `definition_name`, the innermost def) left out, by module.
EXCLUDED_DEFINITIONS: dict[tuple[str, str], str] = {
    **{
        ("emulator/seed.py", name): "seed-file parsing and checking: an emulator-only feature "
        "(`--seed-file`), not part of the API"
        for name in (
            "_read",
            "_group",
            "_valid",
            "_privilege",
            "_check_name",
            "_expect",
            "_list",
            "_mapping",
            "_machine",
            "model_discs",
        )
    },
    ("emulator/config.py", "__post_init__"): "refusing impossible emulator settings (port range, "
    "empty user, bad address pool): a usage error of the emulator, not API behaviour",
    ("emulator/server.py", "log_request"): "the emulator's own access log on stderr: never served",
    ("emulator/server.py", "log_message"): "the emulator's own access log on stderr: never served",
}

ANNOTATION_REASON = (
    "inside a type annotation of a module with `from __future__ import annotations`: never "
    "evaluated, so equivalent by construction"
)


@dataclass(frozen=True)
class Mutant:
    """One of cosmic-ray's work items (a single mutation)."""

    job_id: str
    module: str
    operator: str
    occurrence: int
    line: int
    column: int
    definition: str | None

    @property
    def key(self) -> str:
        return f"{self.module}:{self.operator}:{self.occurrence}"


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (start, end) positions, (line, column) with 1-based lines, of every annotation that
    is never evaluated: all of them when the module postpones annotations, else none."""
    tree = ast.parse(source)
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    if not postponed:
        return []
    spans = []
    for node in ast.walk(tree):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for annotation in annotations:
            if annotation is not None and annotation.end_lineno is not None:
                spans.append(
                    (
                        (annotation.lineno, annotation.col_offset),
                        (annotation.end_lineno, annotation.end_col_offset or 0),
                    )
                )
    return spans


def exclusion(
    mutant: Mutant, spans: Mapping[str, list[tuple[tuple[int, int], tuple[int, int]]]]
) -> str | None:
    """Why the mutant is out of the sample, or None when it is in scope."""
    if mutant.module in EXCLUDED_MODULES:
        return EXCLUDED_MODULES[mutant.module]
    reason = EXCLUDED_DEFINITIONS.get((mutant.module, mutant.definition or ""))
    if reason:
        return reason
    position = (mutant.line, mutant.column)
    if any(start <= position < end for start, end in spans.get(mutant.module, ())):
        return ANNOTATION_REASON
    return None


def eligible(
    mutants: Iterable[Mutant], sources: Mapping[str, str]
) -> tuple[list[Mutant], Counter[str]]:
    """The mutants in scope, and how many were left out for each reason."""
    spans = {module: annotation_spans(text) for module, text in sources.items()}
    kept, left_out = [], Counter()
    for mutant in mutants:
        reason = exclusion(mutant, spans)
        if reason is None:
            kept.append(mutant)
        else:
            left_out[reason] += 1
    return kept, left_out


def sample(mutants: Iterable[Mutant], size: int, seed: int) -> list[Mutant]:
    """A reproducible sample: the same mutants for the same source, size and seed, whatever
    order cosmic-ray listed them in (its job ids are random)."""
    ordered = sorted(mutants, key=lambda m: (m.module, m.operator, m.occurrence))
    if size >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, size), key=lambda m: m.key)


# How a mutant's run is counted.
KILLED = "killed"  # the suite said NOT CONFORMANT (exit 1)
KILLED_EXIT_2 = "killed (exit 2)"  # the run could not judge: emulator did not start, unreachable
TIMEOUT = "killed (timeout)"  # the run exceeded the timeout
# CONFORMANT (exit 0), but the run reported advisory failures: the suite's report and junit
# say the target is broken at a point that rests on later documents or our inference, which
# by design never changes the exit code (the unmutated emulator has none)
KILLED_ADVISORY = "killed (advisory)"
SURVIVED = "survived"  # CONFORMANT (exit 0), and not one failure reported
INCOMPETENT = "incompetent"  # cosmic-ray could not apply the mutant or run the command
OUTCOMES = (KILLED, KILLED_EXIT_2, TIMEOUT, KILLED_ADVISORY, SURVIVED, INCOMPETENT)
GATE_KILLS = (KILLED, KILLED_EXIT_2, TIMEOUT)  # kills by the exit code
JUDGE_MARK = "judge: exit "  # the judge's first line: `judge: exit N`


def outcome(worker_outcome: str, test_outcome: str | None, output: str | None) -> str:
    """Count one run from cosmic-ray's result (its enum values) and the judge's output."""
    if worker_outcome != "normal" or test_outcome in (None, "incompetent"):
        return INCOMPETENT
    if test_outcome == "survived":
        return KILLED_ADVISORY if advisory_findings(output) else SURVIVED
    text = output or ""
    if text.strip() == "timeout":  # what cosmic-ray records when it kills a run on its timeout
        return TIMEOUT
    if f"{JUDGE_MARK}2" in text:
        # cosmic-ray wrote code that is not Python: not a mutant at all, so no verdict
        return INCOMPETENT if "SyntaxError" in text else KILLED_EXIT_2
    if f"{JUDGE_MARK}1" in text:
        return KILLED
    return INCOMPETENT  # the judge itself failed: no verdict to count


def recount(counted: str, output: str | None) -> str:
    """A result counted by an earlier version of `outcome`, counted again from the judge's
    output (which alone tells the kinds of kill apart)."""
    if counted in (KILLED, KILLED_EXIT_2):
        return outcome("normal", "killed", output)
    if counted in (SURVIVED, KILLED_ADVISORY):
        return outcome("normal", "survived", output)
    return counted


def advisory_findings(output: str | None) -> list[str]:
    """The advisory problems the judge listed (a CONFORMANT run may report some)."""
    mark = "problem: [advisory] "
    return [
        line.removeprefix(mark) for line in (output or "").splitlines() if line.startswith(mark)
    ]


@dataclass(frozen=True)
class Score:
    counts: Mapping[str, int]
    equivalent: int

    @property
    def killed(self) -> int:
        """Mutants the suite reports as a broken target: by the exit code, or by advisory
        failures only."""
        return self.gate_killed + self.counts.get(KILLED_ADVISORY, 0)

    @property
    def gate_killed(self) -> int:
        return sum(self.counts.get(name, 0) for name in GATE_KILLS)

    @property
    def judged(self) -> int:
        """Mutants with a verdict (incompetent ones have none), less the equivalent ones
        (`equivalent`: no served behaviour changes, or the documentation allows the change)."""
        return self.killed + self.counts.get(SURVIVED, 0) - self.equivalent

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.judged if self.judged else 0.0

    @property
    def gate_percent(self) -> float:
        return 100.0 * self.gate_killed / self.judged if self.judged else 0.0
