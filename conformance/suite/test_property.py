"""Property-based runs of every operation of the spec: generated valid and invalid requests,
judged by schemathesis' built-in checks and the suite's own registry (conformance.checks).

Account and group are the target's; machines, discs, interfaces and groups addressed are
objects the run created for the purpose (conformance.pool.Pool).
"""

from conformance.checks import generated_case_checks
from conformance.plugin import state
from conformance.suite_schema import property_schema

schema = property_schema(state().pool.objects_for)
CHECKS = generated_case_checks()


@schema.parametrize()
def test_operation(case, bigv):
    """Every generated request is answered as the spec says."""
    case.call_and_validate(
        base_url=bigv.run.url,
        session=bigv.run.session,
        headers=bigv.run.credentials.headers(),
        **CHECKS,
    )
