"""The schemathesis schemas of the run: the spec, with the run's profile, budget and seed.

`base_schema` has the target's account and group fixed (they are never generated); the
property runs use `property_schema`, which also fixes, per operation, the machine, disc,
network interface and (for deleteGroup) group that generated requests address: objects the
run created for the purpose (`conformance.run.pool.Pool`).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import schemathesis

import spec
from conformance.target import tls
from conformance.target.configuration import Target

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


def config_for(run_target: Target, operations: list[dict[str, Any]] | None = None) -> Any:
    """A schemathesis configuration for the profile, budget and seed of the run."""
    examples = 2 if run_target.profile == "smoke" else run_target.max_examples
    data: dict[str, Any] = {
        "generation": {
            "max-examples": examples,
            "database": "none",
            # The run's own credentials go with every request; generated ones would be
            # replaced by them, making a negative case positive.
            "with-security-parameters": False,
            # The API ignores query parameters it does not know (ICH other.md).
            "allow-extra-parameters": False,
        },
        "phases": {
            phase: {"enabled": phase in PHASES[run_target.profile]}
            for phase in ("examples", "coverage", "fuzzing")
        }
        | {
            "stateful": {
                "enabled": run_target.profile != "read-only",
                # Stateful runs chain valid requests through links; invalid data is the
                # property runs' business.
                "generation": {"mode": "positive"},
                "checks": {"negative_data_rejection": {"enabled": False}},
            }
        },
        "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
        "parameters": {"account": run_target.account, "group": run_target.group},
        "request-timeout": 30,
        # schemathesis passes these on each of its requests, over the session's own
        **tls.schemathesis_settings(run_target.verify, run_target.cert),
    }
    operations = list(operations or [])
    if run_target.profile == "read-only":
        # Only GET operations; and nothing that sends other methods to see them refused.
        # (A config filter, not schema.include(): schemathesis 4.32 drops include() filters
        # when the config has [[operations]] entries.)
        operations.append({"exclude-method": "GET", "enabled": False})
        data["checks"]["unsupported_method"] = {"enabled": False}
        data["phases"]["coverage"]["unexpected-methods"] = []
    if operations:
        data["operations"] = operations
    if run_target.seed is not None:
        data["seed"] = run_target.seed
    return schemathesis.Config.from_dict(data)


@cache
def base_schema() -> Any:
    """The API document as a schemathesis schema, account and group fixed."""
    return schemathesis.openapi.from_dict(spec.api(), config=config_for(target()))


@cache
def auth_schema() -> Any:
    """The auth service's document (sessions), for the scenarios that log in."""
    return schemathesis.openapi.from_dict(spec.auth(), config=config_for(target()))


def property_schema(objects_for: Any) -> Any:
    """The schema for the property runs: `objects_for(operation_id)` gives fixed parameters."""
    run_target = target()
    operations = []
    for operation_id, (_, path, _) in spec.operations(spec.api()).items():
        fixed = objects_for(operation_id, path)
        if fixed:
            operations.append({"include-operation-id": operation_id, "parameters": fixed})
    config = config_for(run_target, operations)
    return schemathesis.openapi.from_dict(spec.api(), config=config)
