"""The schemathesis schema of the run: the spec, with the run's profile and example budget."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import schemathesis

import spec
from conformance.target import Target

TARGET_VARIABLE = "BIGV_CONFORMANCE_TARGET"

# Values the record does not publish (allowed memory sizes, the definitions of the target)
# and refusals by state (reimage while running, a name still taken) answer 400 to requests
# the spec alone calls valid: bigv-api.md sections 4.1, 5.5, 5.6 and 7.
POSITIVE_STATUSES = ["2xx", "400", "404", "409"]

PHASES = {
    "full": ["examples", "coverage", "fuzzing"],
    "read-only": ["examples", "coverage", "fuzzing"],
    "smoke": ["examples", "fuzzing"],
}


def target() -> Target:
    """The run's target, as the runner passed it to this process."""
    return Target.from_json(os.environ[TARGET_VARIABLE])


def config_for(run_target: Target) -> Any:
    """A schemathesis configuration for the profile, budget and seed of the run."""
    examples = 2 if run_target.profile == "smoke" else run_target.max_examples
    data: dict[str, Any] = {
        "generation": {"max-examples": examples, "database": "none"},
        "phases": {phase: {"enabled": phase in PHASES[run_target.profile]}
                   for phase in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
        "request-timeout": 30,
    }
    if run_target.seed is not None:
        data["seed"] = run_target.seed
    return schemathesis.Config.from_dict(data)


@cache
def load_schema() -> Any:
    """The API document as a schemathesis schema, filtered for the profile."""
    run_target = target()
    schema = schemathesis.openapi.from_path(str(spec.API_PATH), config=config_for(run_target))
    if run_target.profile == "read-only":
        schema = schema.include(method="GET")
    return schema
