"""Logging in as the Python library does: the credentials form-encoded, not JSON."""

import pytest

from conformance.judging.verdict import step
from conformance.run.scenario import expect_status, scenario
from conformance.suite.scenarios.test_auth import _auth_service, _log_in

FORM = "application/x-www-form-urlencoded"  # PY bigv/account.py posts data=creds (record §2.2)


@scenario("d632ae96-session-form-log-in", "auth.session", writes=False)
def test_session_log_in_with_a_form_body(bigv):
    """
    1. POST /session with the user's credentials form-encoded, as the Python library sends
       them: 200 and a token as text.
    2. GET /session/{token}: 200.
    """
    if not bigv.run.target.user:
        pytest.skip("the target is reached with a token, not a user and password")
    service = _auth_service(bigv)
    with step("1. log in with a form body"):
        reply, token = _log_in(bigv, service, media_type=FORM)
        expect_status(
            reply, 200, "the right credentials open a session, form-encoded too", by="session-login"
        )
    with step("2. read the session"):
        expect_status(
            service.call("getSession", path={"token": token}),
            200,
            "a session opened with a form body can be read",
        )
