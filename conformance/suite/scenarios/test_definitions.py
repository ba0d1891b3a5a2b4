"""GET /definitions needs no credentials: the official client reads it without any."""

from conformance.judging.verdict import step
from conformance.run.scenario import expect_status, scenario


@scenario("390435c9-definitions-without-credentials", "definitions", writes=False)
def test_definitions_need_no_credentials(bigv):
    """
    1. GET /definitions with no Authorization header (nor one-time password): 200, the
       definitions as the spec describes them.
    """
    with step("1. without credentials"):
        reply = bigv.api.call("getDefinitions", auth=False)
        expect_status(
            reply, 200, "the definitions need no authentication", by="definitions-without-auth"
        )
