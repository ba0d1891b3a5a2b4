"""The results of a run: observations, the verdict, and the machine-readable reports.

An observation is one verdict of one check (or one scenario) on one operation. Pure data and
pure functions; the pytest plugin produces observations and the report writers read them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any
from xml.etree import ElementTree

import spec

OUTCOMES = ("passed", "failed", "skipped", "deviation")


@dataclass
class Observation:
    """One check's verdict on one operation (or one scenario's verdict)."""

    test_id: str
    kind: str  # property | stateful | scenario
    name: str
    check: str
    capability: str
    level: str  # required | advisory
    operation: str | None
    outcome: str  # one of OUTCOMES
    title: str = ""
    message: str = ""
    step: str | None = None
    exchange: dict[str, Any] | None = None
    duration: float = 0.0
    deviation_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Observation:
        return cls(**data)


def capability_level(capability: str) -> str:
    """`required` or `advisory` for a capability of either spec document."""
    for document in (spec.api(), spec.auth()):
        if capability in document.get("x-capabilities", {}):
            return document["x-capabilities"][capability]["level"]
    raise KeyError(f"unknown capability {capability!r}")


@dataclass
class Summary:
    """What a run found, ready to be written as summary.json."""

    target: dict[str, Any]
    versions: dict[str, str]
    seed: int | None
    profile: str
    started: str
    duration: float
    observations: list[Observation] = field(default_factory=list)
    stale_deviations: list[dict[str, str]] = field(default_factory=list)
    traffic: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def conformant(self) -> bool:
        """True when no required check failed (accepted deviations aside)."""
        return not any(o.outcome == "failed" and o.level == "required" for o in self.observations)

    def counts(self, key: str) -> dict[str, dict[str, int]]:
        """Outcome counts grouped by an observation attribute (capability, check, ...)."""
        grouped: dict[str, Counter] = defaultdict(Counter)
        for observation in self.observations:
            grouped[getattr(observation, key) or "-"][observation.outcome] += 1
        return {
            name: {outcome: counter.get(outcome, 0) for outcome in OUTCOMES}
            for name, counter in sorted(grouped.items())
        }

    def score(self) -> dict[str, dict[str, int]]:
        """Passed of total for required and advisory observations, and accepted deviations."""
        score = {}
        for level in ("required", "advisory"):
            mine = [o for o in self.observations if o.level == level and o.outcome != "skipped"]
            score[level] = {
                "passed": sum(o.outcome == "passed" for o in mine),
                "total": len(mine),
            }
        score["deviations"] = {
            "accepted": sum(o.outcome == "deviation" for o in self.observations),
            "stale": len(self.stale_deviations),
        }
        return score

    def failures(self) -> list[Observation]:
        return [o for o in self.observations if o.outcome == "failed"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": "CONFORMANT" if self.conformant else "NOT CONFORMANT",
            "target": self.target,
            "versions": self.versions,
            "seed": self.seed,
            "profile": self.profile,
            "started": self.started,
            "duration": round(self.duration, 3),
            "score": self.score(),
            "capabilities": {
                name: {"level": capability_level(name), **counts}
                for name, counts in self.counts("capability").items()
            },
            "checks": self.counts("check"),
            "operations": {
                label: {
                    "requests": seen["count"],
                    "statuses": dict(sorted(seen["statuses"].items())),
                    "mean_seconds": round(seen["seconds"] / seen["count"], 4)
                    if seen["count"]
                    else 0,
                    "max_seconds": round(seen["max"], 4),
                }
                for label, seen in sorted(self.traffic.items())
            },
            "failures": [
                {
                    "test_id": o.test_id,
                    "operation": o.operation,
                    "check": o.check,
                    "capability": o.capability,
                    "level": o.level,
                    "title": o.title,
                    "message": o.message,
                    "step": o.step,
                    "curl": (o.exchange or {}).get("curl"),
                }
                for o in self.failures()
            ],
            "stale_deviations": self.stale_deviations,
        }


def write_summary(summary: Summary, path: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(summary.to_dict(), handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def write_junit(summary: Summary, path: Any) -> None:
    """One testcase per observation, grouped in a suite per capability."""
    root = ElementTree.Element("testsuites", name="bigv-conformance")
    by_capability: dict[str, list[Observation]] = defaultdict(list)
    for observation in summary.observations:
        by_capability[observation.capability].append(observation)
    for capability, observations in sorted(by_capability.items()):
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=f"{capability} ({capability_level(capability)})",
            tests=str(len(observations)),
            failures=str(sum(o.outcome == "failed" for o in observations)),
            skipped=str(sum(o.outcome in ("skipped", "deviation") for o in observations)),
        )
        for o in observations:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"{o.kind}.{o.operation or o.name}",
                name=f"{o.check} [{o.test_id}]",
                time=f"{o.duration:.3f}",
            )
            if o.outcome == "failed":
                failure = ElementTree.SubElement(case, "failure", message=o.title)
                curl = (o.exchange or {}).get("curl")
                failure.text = o.message + (f"\n\nReproduce:\n{curl}" if curl else "")
            elif o.outcome == "skipped":
                ElementTree.SubElement(case, "skipped", message=o.message or o.title)
            elif o.outcome == "deviation":
                ElementTree.SubElement(
                    case, "skipped", message=f"accepted deviation: {o.deviation_reason}"
                )
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
