"""Authentication: 401 without or with wrong credentials, OTP when required, Bearer tokens,
another account's resources never readable, and no write where the user may only read."""

import base64

import pytest

import spec
from conformance.judging.verdict import expect, step
from conformance.run.api import Api
from conformance.run.scenario import expect_status, sample_requests, scenario, with_run_names
from conformance.run.schemas import auth_schema


@scenario("1d7c5e08-no-credentials-401", "auth.basic", provisions=[{}])
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
            expect_status(reply, 401, "requests without credentials are refused", by="unauthorized")
    with step("3. unchanged"):
        machines.expect_unchanged(machine, "unauthenticated request")


@scenario("6f3a2d91-wrong-password-401", "auth.basic", provisions=[{}])
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
            expect_status(reply, 401, "a wrong password is refused", by="unauthorized")


@scenario("c2e8b4a7-otp-enforced", "auth.basic", writes=False)
def test_otp_enforced_when_required(bigv):
    """
    1. With the right user and password but no X-Yubikey-Otp: refused (401, as other bad
       credentials, is our inference; 403 is another reading).
    2. With a malformed one-time password: refused the same way.
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
            expect_status(
                reply, (401, 403), f"{label}: the one-time password is required", by="otp"
            )
            expect_status(
                reply,
                401,
                f"{label}: refused as bad credentials are",
                rests_on="otp-refusal-status",
                stop=False,
            )


def _auth_service(bigv):
    """The auth service's operations, or a skip when the target names none."""
    target = bigv.run.target
    auth_url = (target.auth_url or "").replace("{url}", target.url or "")
    if not auth_url:
        pytest.skip("no auth service (auth_url) is configured for this target")
    return Api(bigv.run, auth_schema(), recorder=bigv.api.recorder, base_url=auth_url)


def _log_in(bigv, service, media_type="application/json", **extra):
    target = bigv.run.target
    body = {"username": target.user, "password": target.password, "validity": "1800"}
    if target.requires_otp:
        body["yubikey"] = bigv.run.credentials.otp()
    reply = service.call(
        "createSession",
        body=body | extra,
        headers={"Accept": "text/plain"},
        media_type=media_type,
    )
    token = reply.exchange.response_body.strip() if reply.status == 200 else ""
    if token:
        bigv.run.credentials.secrets.append(token)
    return reply, token


@scenario("8a5d0c36-bearer-token", "auth.bearer")
def test_bearer_token_accepted(bigv):
    """
    1. Obtain a token: the target's --token, or a session from the auth service.
    2. List the group with `Authorization: Bearer <token>`: 200.
    3. With a made-up token: 401.
    """
    token = bigv.run.target.token
    if token is None:
        service = _auth_service(bigv)
        with step("1. log in at the auth service"):
            reply, token = _log_in(bigv, service)
            expect_status(reply, 200, "the right credentials open a session", by="session-login")
    with step("2. Bearer token"):
        reply = bigv.api.call(
            "listVirtualMachines", auth=False, headers={"Authorization": f"Bearer {token}"}
        )
        expect_status(reply, 200, "a valid Bearer token is accepted", by="bearer")
    with step("3. made-up token"):
        reply = bigv.api.call(
            "listVirtualMachines", auth=False, headers={"Authorization": "Bearer made-up-token"}
        )
        expect_status(reply, 401, "an invalid token is refused", by="unauthorized")


@scenario("b3c9a7e1-session-log-in", "auth.session", writes=False)
def test_session_log_in_and_read(bigv):
    """
    1. POST /session with the user's credentials (JSON): 200 and a token as text.
    2. GET /session/{token}: the user's name and the factors used.
    3. POST /session with a wrong password: 400.
    4. GET /session/{made-up token}: 404.
    """
    if not bigv.run.target.user:
        pytest.skip("the target is reached with a token, not a user and password")
    service = _auth_service(bigv)
    with step("1. log in"):
        reply, token = _log_in(bigv, service)
        expect_status(reply, 200, "the right credentials open a session", by="session-login")
        expect(bool(token), "Empty session token", "POST /session answered 200 with no token.")
    with step("2. read the session"):
        reply = service.call("getSession", path={"token": token})
        expect_status(reply, 200, "a session just opened can be read", by="session-read")
        expect(
            reply.json.get("username") == bigv.run.target.user,
            "Session of another user",
            f"Logged in as {bigv.run.target.user!r}; the session says {reply.json}.",
        )
    with step("3. wrong password"):
        reply, _ = _log_in(bigv, service, password="not-the-password")
        expect_status(reply, 400, "wrong credentials are refused")
    with step("4. made-up token"):
        reply = service.call("getSession", path={"token": "made-up-token"})
        expect_status(reply, 404, "an unknown session is not found", by="session-read")


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
            by="not-found",
        )
    with step("2. its groups and machines"):
        for operation_id, path, why in (
            ("listGroups", {"account": foreign}, "their groups are invisible"),
            ("listVirtualMachines", {"account": foreign, "group": "default"}, "their machines"),
        ):
            expect_status(bigv.api.call(operation_id, path=path), 404, why, by="not-found")


SCHEMAS = spec.api()["components"]["schemas"]
# What a refused write could have changed: the attributes a request may write, and the id
WRITABLE = {
    "listGroups": {"id", *SCHEMAS["GroupCreate"]["properties"]},
    "listVirtualMachines": {"id", *SCHEMAS["VirtualMachineUpdate"]["properties"]},
    "listDiscs": {"id", *SCHEMAS["DiscCreate"]["properties"], *SCHEMAS["DiscUpdate"]["properties"]},
}
WRITING = {
    operation_id
    for operation_id, (method, _, _) in spec.operations(spec.api()).items()
    if method in ("PUT", "POST", "DELETE")
}


def _state_of(bigv, account):
    """The groups of an account, the machines of its default group (deleted ones too) and
    the discs of the first, each with what a write could change; and that machine and disc."""
    path = {"account": account, "group": "default"}
    state, machine, disc = {}, None, None
    for operation_id, query in (
        ("listGroups", None),
        ("listVirtualMachines", {"include_deleted": True}),
        ("listDiscs", None),
    ):
        if operation_id == "listDiscs" and machine is None:
            break
        reply = bigv.api.call(operation_id, path=path, query=query)
        expect_status(reply, 200, f"the user may read account {account!r}", by="get-ok")
        items = reply.json if isinstance(reply.json, list) else []
        state[operation_id] = [
            {key: item.get(key) for key in sorted(WRITABLE[operation_id])} for item in items
        ]
        if operation_id == "listVirtualMachines" and items:
            machine = items[0]["id"]
            path["virtual_machine"] = machine
            read = bigv.api.call("getVirtualMachine", path=path, query={"include_deleted": True})
            expect_status(read, 200, f"the user may read the machines of {account!r}", by="get-ok")
        if operation_id == "listDiscs" and items:
            disc = items[0]["id"]
    return state, machine, disc


@scenario("3c9e4b71-read-only-privilege-403", "errors.forbidden")
def test_every_write_where_the_user_may_only_read_is_403_and_changes_nothing(bigv):
    """
    1. Read an account the user may read but not change: its groups, the machines of its
       default group (the first by the id the list gave) and the discs of the first.
    2. Send one request of every operation that changes something (PUT, POST, DELETE) to
       that account and those objects: 403 each ("403 if you try to PUT/POST/DELETE ...
       without having appropriate permissions").
    3. Nothing changed: the groups, machines and discs read as before.
    """
    readonly = bigv.run.target.readonly_account
    if not readonly:
        pytest.skip(
            "no readonly_account configured for this target (an account the user may read "
            "but not change)"
        )
    with step("1. read"):
        before, machine, disc = _state_of(bigv, readonly)
    if machine is None or disc is None:
        pytest.skip(f"account {readonly!r} has no machine with a disc in its default group")
    for operation_id, path, body in sample_requests(
        machine, account=readonly, group="default", disc=disc
    ):
        if operation_id not in WRITING:
            continue
        with step(f"2. {operation_id} in {readonly!r}"):
            reply = bigv.api.call(operation_id, path=path, body=with_run_names(bigv.names, body))
            expect_status(
                reply, 403, "the user may read this account but not change it", by="forbidden"
            )
    with step("3. unchanged"):
        after, _, _ = _state_of(bigv, readonly)
        expect(
            after == before,
            "A refused write changed the account",
            f"before -> after: {before} -> {after}",
            by="forbidden",
        )
