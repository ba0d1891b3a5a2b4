"""Authentication and visibility (bigv-api.md section 2): Basic, OTP, API keys, sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from emulator.config import EmulatorConfig
from emulator.model import SESSION_LIFETIME
from emulator.server import Emulator, start
from tests.emulator.helpers import (
    ACCOUNT,
    API_KEY,
    OTP,
    PASSWORD,
    USER,
    Api,
    FakeClock,
    error_of,
)


def test_no_credentials_is_401_with_a_challenge(api):
    reply = requests.get(api.vms(), timeout=30)
    error_of(reply, 401)
    assert "Basic" in reply.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "auth",
    [(USER, "wrong"), ("nobody", PASSWORD), (USER, "")],
    ids=["wrong-password", "unknown-user", "empty-password"],
)
def test_wrong_credentials_are_401(api, auth):
    error_of(requests.get(api.vms(), auth=auth, timeout=30), 401)


@pytest.mark.parametrize(
    "header",
    ["Basic !!!not-base64", "Basic " + "YWxpY2U=", "Digest abc", "Bearer", "Bearer apikey.wrong"],
)
def test_malformed_or_unknown_authorization_is_401(api, header):
    error_of(requests.get(api.vms(), headers={"Authorization": header}, timeout=30), 401)


def test_refused_requests_change_nothing(api):
    reply = requests.post(api.vms(), json={"name": "sneaky"}, timeout=30)
    error_of(reply, 401)
    assert api.get(api.vms(), params={"include_deleted": "true"}).json() == []


def test_api_key_bearer_token_is_accepted(api):
    reply = requests.get(
        api.vms(), headers={"Authorization": f"Bearer apikey.{API_KEY}"}, timeout=30
    )
    assert reply.status_code == 200, reply.text


def test_definitions_are_open_to_all(api):
    assert requests.get(api.at("/definitions"), timeout=30).status_code == 200


def test_an_account_without_a_privilege_is_404_not_403(api):
    for url in (
        api.at("/accounts/foreign"),
        api.at("/accounts/foreign/groups"),
        api.vms(account="foreign"),
        api.vm("secret-vm", account="foreign"),
    ):
        error_of(api.get(url), 404)
    error_of(api.post(api.vms(account="foreign"), json={"name": "intruder"}), 404)
    names = [account["name"] for account in api.get(api.at("/accounts")).json()]
    assert "foreign" not in names and ACCOUNT in names


def test_the_foreign_account_is_visible_to_its_own_user(api):
    bob = Api(api.url, auth=("bob", "bobs-password"))
    assert bob.read("secret-vm", account="foreign")["power_on"] is True
    error_of(bob.get(api.vms()), 404)  # and bob cannot see alice's account


def test_a_read_only_privilege_reads_but_may_not_change(api):
    assert api.get(api.vms(account="readonly")).status_code == 200
    error_of(api.post(api.vms(account="readonly"), json={"name": "nope"}), 403)
    error_of(api.put(api.vm("watched-vm", account="readonly"), json={"cores": 2}), 403)
    reread = api.get(api.vm("watched-vm", account="readonly")).json()
    assert reread["cores"] == 1


# --- the auth service's sessions -----------------------------------------------------------
def test_session_login_with_json_then_use_and_read_it(api, clock):
    login = requests.post(
        api.at("/session"),
        json={"username": USER, "password": PASSWORD, "validity": "1800"},
        headers={"Accept": "text/plain"},
        timeout=30,
    )
    assert login.status_code == 200 and login.headers["Content-Type"].startswith("text/plain")
    token = login.text
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(api.vms(), headers=bearer, timeout=30).status_code == 200
    session = requests.get(api.at(f"/session/{token}"), timeout=30)
    assert session.json() == {"username": USER, "factors": ["password"], "group_memberships": []}


def test_session_login_with_a_form_as_the_python_library_does(api):
    login = requests.post(
        api.at("/session"), data={"username": USER, "password": PASSWORD}, timeout=30
    )
    assert login.status_code == 200 and login.text


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"username": USER, "password": "wrong"}, "Bad login credentials"),
        ({"username": USER}, "Badly-formed parameters"),
        ({"username": "", "password": PASSWORD}, "Badly-formed parameters"),
        ({"username": USER, "password": 5}, "Badly-formed parameters"),
    ],
)
def test_session_refusals_are_400_in_plain_text(api, body, text):
    reply = requests.post(api.at("/session"), json=body, timeout=30)
    assert (reply.status_code, reply.text) == (400, text)
    assert reply.headers["Content-Type"].startswith("text/plain")


def test_sessions_expire_after_five_minutes_unless_used(api, clock):
    token = requests.post(
        api.at("/session"), json={"username": USER, "password": PASSWORD}, timeout=30
    ).text
    bearer = {"Authorization": f"Bearer {token}"}
    clock.advance(SESSION_LIFETIME - 10)
    assert requests.get(api.vms(), headers=bearer, timeout=30).status_code == 200  # extends
    clock.advance(SESSION_LIFETIME - 10)
    assert requests.get(api.at(f"/session/{token}"), timeout=30).status_code == 200  # extends
    clock.advance(SESSION_LIFETIME + 1)
    error_of(requests.get(api.vms(), headers=bearer, timeout=30), 401)
    error_of(requests.get(api.at(f"/session/{token}"), timeout=30), 404)


def test_unknown_session_is_404(api):
    error_of(requests.get(api.at("/session/no-such-token"), timeout=30), 404)


# --- one-time passwords ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def otp_emulator() -> Iterator[Emulator]:
    running = start(EmulatorConfig(require_otp=True, api_key=API_KEY), clock=FakeClock())
    yield running
    running.stop()


@pytest.mark.parametrize(
    "otp",
    [None, "", "not-an-otp", "c" * 31, "c" * 49, "a" * 40],
    ids=["missing", "empty", "not-modhex", "too-short", "too-long", "non-modhex-letters"],
)
def test_with_otp_required_basic_needs_a_well_formed_otp(otp_emulator, otp):
    api = Api(otp_emulator.url)
    headers = {} if otp is None else {"X-Yubikey-Otp": otp}
    error_of(api.get(api.vms(), headers=headers), 401)


@pytest.mark.parametrize("length", [32, 44, 48])
def test_with_otp_required_a_modhex_otp_is_accepted(otp_emulator, length):
    api = Api(otp_emulator.url)
    assert api.get(api.vms(), headers={"X-Yubikey-Otp": ("cbdefghijk" * 5)[:length]}).ok


def test_with_otp_required_login_asks_for_2fa_then_accepts_it(otp_emulator):
    url = f"{otp_emulator.url}/session"
    credentials = {"username": USER, "password": PASSWORD}
    missing = requests.post(url, json=credentials, timeout=30)
    assert (missing.status_code, missing.text) == (400, "Missing 2FA")
    bad = requests.post(url, json={**credentials, "2fa": "123456"}, timeout=30)
    assert (bad.status_code, bad.text) == (400, "Authentication failed")
    token = requests.post(url, json={**credentials, "2fa": OTP}, timeout=30).text
    session = requests.get(f"{url}/{token}", timeout=30).json()
    assert session["factors"] == ["password", "yubikey"]
    api = Api(otp_emulator.url, auth=None)
    assert api.get(api.vms(), headers={"Authorization": f"Bearer {token}"}).status_code == 200
    by_key = {"Authorization": f"Bearer apikey.{API_KEY}"}
    assert api.get(api.vms(), headers=by_key).status_code == 200


@pytest.mark.parametrize(
    ("data", "headers"),
    [(None, {}), (b"<xml/>", {"Content-Type": "application/xml"}), (b"x" * (2 << 20), {})],
    ids=["no-body", "xml", "huge"],
)
def test_session_bodies_it_cannot_take_are_its_documented_400(api, data, headers):
    reply = requests.post(api.at("/session"), data=data, headers=headers, timeout=30)
    assert (reply.status_code, reply.text) == (400, "Badly-formed parameters")
