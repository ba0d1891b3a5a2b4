"""junit.xml: one testcase per observation, for CI systems that read JUnit."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from xml.etree import ElementTree

from conformance.results.observations import Observation, capability_level, scrub
from conformance.results.summary import Summary, incomplete_line, stale_advice


def write_junit(summary: Summary, path: Any) -> None:
    """One testcase per observation, grouped in a suite per capability; stale deviations of
    the expectations file in a suite of their own (skipped, with the reason to remove them)."""
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
                failure = ElementTree.SubElement(case, "failure", message=scrub(o.title))
                text = scrub(o.message)
                if o.step:
                    text = f"[step {o.step}] {text}"
                if o.curl:
                    text += f"\n\nReproduce:\n{scrub(o.curl)}"
                failure.text = text
            elif o.outcome == "skipped":
                ElementTree.SubElement(case, "skipped", message=scrub(o.message or o.title))
            elif o.outcome == "deviation":
                ElementTree.SubElement(
                    case, "skipped", message=f"accepted deviation: {o.deviation_reason}"
                )
            elif o.outcome == "noted":  # not a failure: what the target chose, for the log
                noted = ElementTree.SubElement(case, "system-out")
                noted.text = (
                    f"the documentation is silent here ({o.register}); this target chose "
                    f"otherwise than the reference: {scrub(o.title)}\n{scrub(o.message)}"
                )
    if summary.stale_deviations:
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name="expectations (stale deviations)",
            tests=str(len(summary.stale_deviations)),
            failures="0",
            skipped=str(len(summary.stale_deviations)),
        )
        for entry in summary.stale_deviations:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname="expectations",
                name=f"{entry['check']} [{entry.get('operation') or entry.get('test_id')}]",
                time="0.000",
            )
            ElementTree.SubElement(case, "skipped", message=stale_advice(entry))
    if summary.incomplete:  # a failure of its own: a run cut short must not look green
        suite = ElementTree.SubElement(
            root, "testsuite", name="run", tests="1", failures="1", skipped="0"
        )
        case = ElementTree.SubElement(suite, "testcase", classname="run", name="complete")
        failure = ElementTree.SubElement(case, "failure", message=incomplete_line(summary))
        failure.text = "\n".join(
            f"{entry['how']}: {entry['test']}" for entry in summary.incomplete["tests"]
        )
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
