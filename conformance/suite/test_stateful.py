"""Stateful runs over the spec's links: create, then read, update, reimage, signal and
delete the machine created, with the ids the target answered."""

import pytest
from hypothesis import settings

from conformance.judging.checks import generated_case_checks
from conformance.judging.verdict import validate_generated
from conformance.run.schemas import base_schema, target

schema = base_schema()
run_target = target()
CHECKS = generated_case_checks()


class Workflow(schema.as_state_machine()):
    """Chains operations through the links of spec/bigv.openapi.yaml."""

    bigv_run = None

    def get_call_kwargs(self, case):
        return {
            "base_url": self.bigv_run.url,
            "session": self.bigv_run.session,
            "headers": self.bigv_run.credentials.headers(),
        }

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        validate_generated(
            case,
            response,
            additional_checks=[*(additional_checks or []), *CHECKS["additional_checks"]],
            excluded_checks=CHECKS["excluded_checks"],
            transport_kwargs=kwargs or None,
            recorder=getattr(self, "recorder", None),  # the steps so far (use_after_free, ...)
        )


@pytest.mark.skipif(
    run_target.profile == "read-only", reason="the read-only profile sends only GET requests"
)
@pytest.mark.skipif(
    run_target.max_vms is not None,
    reason="stateful runs create machines at will; they run only without --max-vms",
)
def test_stateful_links(bigv):
    """Sequences of linked calls keep every response conformant."""
    Workflow.bigv_run = bigv.run
    budget = 2 if run_target.profile == "smoke" else max(3, run_target.max_examples // 2)
    Workflow.run(settings=settings(max_examples=budget, stateful_step_count=6, deadline=None))
