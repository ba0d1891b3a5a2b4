"""The public clients' exact requests (bigv-api.md sections 2.3, 5 and the RUN rows)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import quote, urlsplit

import pytest
import requests

from tests.emulator.helpers import ACCOUNT, API_KEY, PASSWORD, USER, error_of

BC_HEADERS = {
    "Authorization": f"Bearer apikey.{API_KEY}",
    "Accept": "application/json",
    "Content-Type": "application/json",
    "User-Agent": "bytemark-client-4.0",
    "Connection": "close",
}
BC_CREATE = (
    b'{"virtual_machine":{"autoreboot_on":true,"cores":1,"memory":2048,"name":"vm2",'
    b'"zone_name":"york"},"discs":[{"label":"disc-1","storage_grade":"sata","size":25600,'
    b'"backup_schedules":[{"start_at":"2026-11-28 00:00:00 UTC","interval_seconds":604800,'
    b'"capacity":1}]}],"reimage":{"distribution":"stretch","firstboot_script":"",'
    b'"root_password":"pw","ssh_public_key":""}}'
)


def bc(api, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request exactly as the official client (BC 4.0) sends it, on a fresh connection."""
    address = urlsplit(api.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    headers = dict(BC_HEADERS)
    if body:
        headers["Content-Length"] = str(len(body))
    connection.request(method, path, body=body or None, headers=headers)
    reply = connection.getresponse()
    status, payload = reply.status, reply.read()
    connection.close()
    return status, payload


def nested(vm: str = "", group: str = "default") -> str:
    base = f"/accounts/{quote(ACCOUNT)}/groups/{quote(group)}/virtual_machines"
    return f"{base}/{quote(vm)}" if vm else base


def test_bc_vm_create_exact_body_answers_202_with_json(api):
    status, payload = bc(api, "POST", f"/accounts/{ACCOUNT}/groups/default/vm_create", BC_CREATE)
    assert status == 202
    created = json.loads(payload)["virtual_machine"]
    assert (created["name"], created["memory"], created["zone_name"]) == ("vm2", 2048, "york")


def test_fog_reads_the_new_machine_from_the_vm_create_body(api):
    reply = api.post(api.group() + "/vm_create", json={"virtual_machine": {"name": "fog1"}})
    machine = reply.json()["virtual_machine"]
    assert {"id", "hostname", "management_address"} <= set(machine)
    assert (machine["power_on"], machine["head"]) == (False, None)


def test_bc_reads_one_machine_by_name_with_deleted_and_overview(api):
    api.create("vm1")
    api.delete(api.vm("vm1"))
    status, payload = bc(api, "GET", nested("vm1") + "?include_deleted=true&view=overview")
    assert status == 200
    machine = json.loads(payload)
    assert machine["deleted"] is True and "discs" in machine and "network_interfaces" in machine


def test_bc_account_and_group_overviews(api):
    api.create("vm1")
    status, payload = bc(api, "GET", "/accounts?view=overview&include_deleted=true")
    assert status == 200 and json.loads(payload)[0]["groups"][0]["virtual_machines"]
    status, payload = bc(api, "GET", f"/accounts/{ACCOUNT}?view=overview&include_deleted=true")
    assert (
        status == 200 and json.loads(payload)["groups"][0]["virtual_machines"][0]["name"] == "vm1"
    )
    path = f"/accounts/{ACCOUNT}/groups/default?view=overview&include_deleted=true"
    status, payload = bc(api, "GET", path)
    assert status == 200 and json.loads(payload)["virtual_machines"][0]["name"] == "vm1"


def test_bc_definitions_without_authorization(api):
    connection = http.client.HTTPConnection(urlsplit(api.url).hostname, urlsplit(api.url).port)
    connection.request("GET", "/definitions", headers={"Accept": "application/json"})
    assert connection.getresponse().status == 200


@pytest.mark.parametrize(
    ("start_on", "start_autoreboot", "body", "power_on"),
    [
        (False, True, b'{"autoreboot_on":true, "power_on": true}', True),
        (True, True, b'{"autoreboot_on":false, "power_on": false}', False),
        (True, True, b'{"autoreboot_on":true, "power_on": false}', True),
        (True, True, b'{"autoreboot_on":false}', True),
    ],
    ids=["start", "stop", "restart", "shutdown-step-1"],
)
def test_bc_power_bodies(api, start_on, start_autoreboot, body, power_on):
    api.create("vm1", power_on=start_on, autoreboot_on=start_autoreboot)
    status, _ = bc(api, "PUT", nested("vm1"), body)
    assert status == 200
    assert api.read("vm1")["power_on"] is power_on


def test_bc_shutdown_and_stay_off_then_signals(api):
    api.create("vm1", power_on=True, autoreboot_on=True)
    assert bc(api, "PUT", nested("vm1"), b'{"autoreboot_on":false}')[0] == 200
    assert bc(api, "POST", nested("vm1") + "/signal", b'{"signal": "powerdown"}')[0] == 200
    assert api.read("vm1")["power_on"] is False
    api.put(api.vm("vm1"), json={"power_on": True})
    status, payload = bc(api, "POST", nested("vm1") + "/signal", b'{"signal":"reset"}')
    assert (status, json.loads(payload)) == (200, {"signal": "reset"})


@pytest.mark.parametrize(
    "body",
    [b'{"memory": 2048}', b'{"cores": 2}', b'{"hardware_profile": "virtio2018"}',
     b'{"hardware_profile_locked": true}', b'{"cdrom_url":"http://example.com/x.iso"}', b"{}"],
)  # fmt: skip
def test_bc_update_bodies(api, body):
    api.create("vm1")
    status, payload = bc(api, "PUT", nested("vm1"), body)
    assert status == 200
    for key, value in json.loads(body).items():
        assert json.loads(payload)[key] == value == api.read("vm1")[key]


def test_bc_undelete_rename_and_move(api):
    api.create("vm1")
    api.delete(api.vm("vm1"))
    assert bc(api, "PUT", nested("vm1"), b'{"deleted":false}')[0] == 200
    group = api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"}).json()
    status, _ = bc(api, "GET", f"/accounts/{ACCOUNT}/groups/other")  # BC learns the id first
    assert status == 200
    body = b'{"name":"vm3","group_id":%d}' % group["id"]
    assert bc(api, "PUT", nested("vm1"), body)[0] == 200
    assert api.read("vm3", group="other")["deleted"] is False


def test_bc_reimage_sends_all_four_keys(api):
    api.create("vm1", power_on=False)
    body = (
        b'{"distribution":"stretch","firstboot_script":"","root_password":"pw","ssh_public_key":""}'
    )
    status, payload = bc(api, "POST", nested("vm1") + "/reimage", body)
    assert status == 200 and "root_password" not in json.loads(payload)


def test_bc_delete_and_purge_with_content_type_and_no_body(api):
    api.create("vm1")
    assert bc(api, "DELETE", nested("vm1"))[0] == 204
    assert bc(api, "DELETE", nested("vm1") + "?purge=true")[0] == 204


def test_python_library_spellings(api):
    login = requests.post(
        api.at("/session"), data={"username": USER, "password": PASSWORD}, timeout=30
    )
    bearer = {"Authorization": f"Bearer {login.text}"}
    api.create("vm1", power_on=False)
    machine = api.read("vm1")
    started = requests.put(
        api.vm(machine["id"]), json={"power_on": True}, headers=bearer, timeout=30
    )
    assert started.status_code == 200 and started.json()["power_on"] is True
    requests.delete(api.vm(machine["id"]), params={"purge": "False"}, headers=bearer, timeout=30)
    listed = requests.get(api.vms(), params={"include_deleted": "True"}, headers=bearer, timeout=30)
    assert [vm["deleted"] for vm in listed.json()] == [True]
    purged = requests.delete(
        api.vm(machine["id"]), params={"purge": "True"}, headers=bearer, timeout=30
    )
    assert purged.status_code == 204


def test_terraform_logs_in_with_json_and_purges(api):
    login = requests.post(
        api.at("/session"),
        data=json.dumps({"username": USER, "password": PASSWORD}),
        headers={"Content-Type": "application/json", "Accept": "text/plain"},
        timeout=30,
    )
    bearer = {"Authorization": f"Bearer {login.text}"}
    api.create("tf1")
    reply = requests.delete(api.vm("tf1"), params={"purge": "true"}, headers=bearer, timeout=30)
    assert reply.status_code == 204


def test_the_original_documentation_curl_example(api):
    api.create("www1")
    reply = requests.get(
        api.vms(),
        headers={"Content-type": "application/json", "X-Yubikey-Otp": "output_from_key_here"},
        auth=(USER, PASSWORD),
        timeout=30,
    )
    assert reply.status_code == 200 and reply.json()[0]["name"] == "www1"


# --- what the Python library and the documentation's examples send ----------------------
@pytest.mark.parametrize(
    "data",
    ["ctrl-alt-del", "a-b-c-ctrl-alt-del", "ctrl-alt-delete"],
    ids=["python-library", "ich-documentation", "definitions"],
)
def test_sendkey_examples_of_the_clients_and_documentation_are_accepted(api, data):
    api.create("vm1", power_on=True)
    body = {"signal": "sendkey", "data": data}
    reply = api.post(api.vm("vm1") + "/signal", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["signal"] == "sendkey"
    assert api.read("vm1")["power_on"] is True  # keys change nothing


def test_a_key_in_neither_the_definitions_nor_the_examples_is_refused(api):
    api.create("vm1", power_on=True)
    body = {"signal": "sendkey", "data": "ctrl-alt-nosuchkey"}
    reply = api.post(api.vm("vm1") + "/signal", json=body)
    assert list(error_of(reply, 400)) == ["data"]


def test_python_library_delete_with_purge_false_is_a_soft_delete(api):
    machine = api.create("vm1")
    reply = api.delete(api.vm(machine["id"]), params={"purge": "False"})
    assert reply.status_code == 204
    error_of(api.get(api.vm(machine["id"])), 404)
    assert api.read(machine["id"], include_deleted="True")["deleted"] is True
    assert "name" in error_of(api.post(api.vms(), json={"name": "vm1"}), 400)  # still taken


def test_python_library_delete_with_purge_true_purges(api):
    machine = api.create("vm1")
    assert api.delete(api.vm(machine["id"]), params={"purge": "True"}).status_code == 204
    error_of(api.get(api.vm(machine["id"]), params={"include_deleted": "True"}), 404)
    assert api.create("vm1")["id"] != machine["id"]  # the name is free again


def test_python_library_include_deleted_true_counts_as_true(api):
    api.create("vm1")
    api.create("vm2")
    api.delete(api.vm("vm1"))
    names = [vm["name"] for vm in api.get(api.vms(), params={"include_deleted": "True"}).json()]
    assert names == ["vm1", "vm2"]
    assert [vm["name"] for vm in api.get(api.vms()).json()] == ["vm2"]
    account = api.get(
        api.at(f"/accounts/{ACCOUNT}"), params={"view": "overview", "include_deleted": "True"}
    ).json()
    assert [vm["name"] for vm in account["groups"][0]["virtual_machines"]] == ["vm1", "vm2"]


def test_python_library_form_encoded_log_in_answers_a_token(api):
    login = requests.post(
        api.at("/session"), data={"username": USER, "password": PASSWORD}, timeout=30
    )
    assert login.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert login.status_code == 200 and login.headers["Content-Type"].startswith("text/plain")
    assert login.text.strip()
    session = requests.get(api.at(f"/session/{login.text}"), timeout=30)
    assert session.status_code == 200 and session.json()["username"] == USER
    bearer = {"Authorization": f"Bearer {login.text}"}
    assert requests.get(api.vms(), headers=bearer, timeout=30).status_code == 200
    refused = requests.post(api.at("/session"), data={"username": USER, "password": "x"},
                            timeout=30)  # fmt: skip
    assert (refused.status_code, refused.text) == (400, "Bad login credentials")
