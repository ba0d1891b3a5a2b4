"""Property-based runs of every operation of the spec: generated valid and invalid requests,
judged by schemathesis' built-in checks and the suite's own registry (conformance.checks).

Requests are pinned to the target's account and group and to machines the run created
(conformance.safety) before they are sent.
"""

from conformance.suite_schema import load_schema

schema = load_schema()


@schema.parametrize()
def test_operation(case, bigv):
    """Every generated request is answered as the spec says."""
    case.call_and_validate(
        base_url=bigv.run.url,
        session=bigv.run.session,
        headers=bigv.run.credentials.headers(),
    )
