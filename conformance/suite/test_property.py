"""Property-based runs of every operation of the spec: generated valid and invalid requests,
judged by schemathesis' built-in checks and the suite's own registry (conformance.judging.checks).

Account and group are the target's; machines, discs, interfaces and groups addressed are
objects the run created for the purpose (conformance.run.pool.Pool).
"""

from conformance.judging.checks import generated_case_checks
from conformance.judging.verdict import validate_generated
from conformance.run.plugin import state
from conformance.run.schemas import property_schema

schema = property_schema(state().pool.objects_for)
CHECKS = generated_case_checks()


@schema.parametrize()
def test_operation(case, bigv):
    """Every generated request is answered as the spec says."""
    sent = {
        "base_url": bigv.run.url,
        "session": bigv.run.session,
        "headers": bigv.run.credentials.headers(),
    }
    response = case.call(**sent)
    validate_generated(
        case, response, headers=sent["headers"], transport_kwargs=dict(sent), **CHECKS
    )
