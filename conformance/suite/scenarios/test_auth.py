"""Authentication: 401 without or with wrong credentials, OTP when required, Bearer tokens,
and another account's resources never readable."""

import base64

import pytest

from conformance.scenario import expect_status, sample_requests, scenario
from conformance.verdict import expect, step


@scenario("1d7c5e08-no-credentials-401", "auth.basic")
def test_no_credentials_is_401_everywhere(bigv, machines):
    """
    1. Create a machine (with credentials).
    2. Send one request of every operation that needs credentials, without any: 401 each.
    3. The machine is unchanged.
    """
    with step("1. create"):
        machine = machines.create()
    for operation_id, path, body in sample_requests(machine["id"]):
        with step(f"2. {operation_id} without credentials"):
            reply = bigv.api.call(operation_id, path=path, body=body, auth=False)
            expect_status(reply, 401, "requests without credentials are refused")
    with step("3. unchanged"):
        after = machines.read(machine["id"])
        expect(
            after == machine or (after["id"] == machine["id"] and not after["deleted"]),
            "Machine changed by unauthenticated requests",
            f"before {machine}, after {after}",
        )


@scenario("6f3a2d91-wrong-password-401", "auth.basic")
def test_wrong_password_is_401(bigv, machines):
    """
    1. Create a machine.
    2. Read it and list the group with a wrong password: 401.
    """
    target = bigv.run.target
    if not target.user:
        pytest.skip("the target is reached with a token, not a user and password")
    with step("1. create"):
        machine = machines.create()
    wrong = base64.b64encode(f"{target.user}:not-{target.password}-x".encode()).decode()
    headers = {"Authorization": f"Basic {wrong}"}
    otp = bigv.run.credentials.otp()
    if otp:
        headers["X-Yubikey-Otp"] = otp
    for operation_id in ("getVirtualMachine", "listVirtualMachines"):
        with step(f"2. {operation_id} with a wrong password"):
            reply = bigv.api.call(
                operation_id, path={"virtual_machine": machine["id"]}, auth=False, headers=headers
            )
            expect_status(reply, 401, "a wrong password is refused")


@scenario("c2e8b4a7-otp-enforced", "auth.basic", writes=False)
def test_otp_enforced_when_required(bigv):
    """
    1. With the right user and password but no X-Yubikey-Otp: 401.
    2. With a malformed one-time password: 401.
    """
    target = bigv.run.target
    if not target.requires_otp:
        pytest.skip("the target does not require a one-time password (requires_otp = false)")
    pair = base64.b64encode(f"{target.user}:{target.password}".encode()).decode()
    for label, extra in (("no OTP", {}), ("malformed OTP", {"X-Yubikey-Otp": "not-an-otp"})):
        with step(f"{'1' if not extra else '2'}. {label}"):
            reply = bigv.api.call(
                "listVirtualMachines",
                auth=False,
                headers={"Authorization": f"Basic {pair}"} | extra,
            )
            expect_status(reply, 401, f"{label}: the one-time password is required")


@scenario("8a5d0c36-bearer-token", "auth.bearer")
def test_bearer_token_accepted(bigv):
    """
    1. Obtain a token: the target's --token, or a session from the auth service.
    2. List the group with `Authorization: Bearer <token>`: 200.
    3. With a made-up token: 401.
    """
    target = bigv.run.target
    token = target.token
    if token is None:
        auth_url = (target.auth_url or "").replace("{url}", target.url or "")
        if not auth_url:
            pytest.skip("no token and no auth service (auth_url) configured for this target")
        with step("1. log in at the auth service"):
            login = bigv.run.session.post(
                f"{auth_url}/session",
                json={"username": target.user, "password": target.password}
                | ({"yubikey": bigv.run.credentials.otp()} if target.requires_otp else {}),
                headers={"Accept": "text/plain"},
                timeout=30,
            )
            expect(
                login.status_code == 200 and login.text.strip(),
                "Login failed",
                f"POST {auth_url}/session answered {login.status_code}: {login.text[:200]}",
            )
            token = login.text.strip()
            bigv.run.credentials.secrets.append(token)
    with step("2. Bearer token"):
        reply = bigv.api.call(
            "listVirtualMachines", auth=False, headers={"Authorization": f"Bearer {token}"}
        )
        expect_status(reply, 200, "a valid Bearer token is accepted")
    with step("3. made-up token"):
        reply = bigv.api.call(
            "listVirtualMachines", auth=False, headers={"Authorization": "Bearer made-up-token"}
        )
        expect_status(reply, 401, "an invalid token is refused")


@scenario("f0b9e7c4-foreign-account-hidden", "errors.not-found", writes=False)
def test_another_account_is_never_readable(bigv):
    """
    1. Read an account the user holds no privilege on: 404.
    2. List its groups and the virtual machines of its default group: 404.
    """
    foreign = bigv.run.target.foreign_account
    if not foreign:
        pytest.skip("no foreign_account configured for this target")
    with step("1. the account"):
        expect_status(
            bigv.api.call("getAccount", path={"account": foreign}),
            404,
            "accounts without a privilege are invisible",
        )
    with step("2. its groups and machines"):
        expect_status(
            bigv.api.call("listGroups", path={"account": foreign}),
            404,
            "their groups are invisible",
        )
        expect_status(
            bigv.api.call("listVirtualMachines", path={"account": foreign, "group": "default"}),
            404,
            "their machines are invisible",
        )
