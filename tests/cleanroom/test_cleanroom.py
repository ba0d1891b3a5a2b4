"""Drives the clean-room server as the official clients do (bodies from bigv-api.md)."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
AUTH = ("carol", "clean-secret")
JSON = {"Content-Type": "application/json", "Accept": "application/json"}
BASE_VM_KEYS = {
    "autoreboot_on", "cdrom_url", "cores", "group_id", "id", "management_address", "memory",
    "name", "power_on", "keymap", "deleted", "hostname", "head", "hardware_profile",
    "hardware_profile_locked",
}  # fmt: skip
RUN_BODY = (
    '{"virtual_machine":{"autoreboot_on":true,"cores":1,"memory":2048,"name":"NAME",'
    '"zone_name":"york"},"discs":[{"label":"disc-1","storage_grade":"sata","size":25600,'
    '"backup_schedules":[{"start_at":"2026-11-28 00:00:00 UTC","interval_seconds":604800,'
    '"capacity":1}]}],"reimage":{"distribution":"stretch","firstboot_script":"",'
    '"root_password":"pw","ssh_public_key":""}}'
)
VMS = "/accounts/clean/groups/default/virtual_machines"


def start(*args: str) -> tuple[subprocess.Popen, str]:
    """Start the server; return the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.cleanroom", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, proc.stdout.readline().strip()


@pytest.fixture(scope="module")
def url():
    proc, base = start("--provision-delay", "0.3")
    assert base.startswith("http://127.0.0.1:")
    yield base
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert proc.stderr.read() == ""


@pytest.fixture
def s():
    with requests.Session() as session:
        session.auth = AUTH
        session.headers.update(JSON)
        yield session


def create(s, url, name, body=None, group="default"):
    """vm_create with the RUN body, waiting for provisioning to finish."""
    body = body or RUN_BODY.replace("NAME", name)
    r = s.post(f"{url}/accounts/clean/groups/{group}/vm_create", data=body)
    assert r.status_code == 202, r.text
    assert r.json()["virtual_machine"]["power_on"] is False
    path = f"/accounts/clean/groups/{group}/virtual_machines/{name}"
    for _ in range(50):
        vm = s.get(url + path, params={"include_deleted": "true", "view": "overview"}).json()
        if vm["power_on"]:
            return url + path, vm
        time.sleep(0.1)
    raise AssertionError("never powered on")


def test_definitions_need_no_auth(url):
    r = requests.get(f"{url}/definitions")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    sections = {d["id"]: d["data"] for d in r.json()}
    assert "stretch" in sections["distributions"] and "sata" in sections["storage_grades"]
    assert {"keymaps", "sendkeys", "zone_names", "hardware_profiles"} <= set(sections)


def test_original_page_examples(url):
    headers = {"Content-type": "application/json", "X-Yubikey-Otp": "output_from_key_here"}
    r = requests.get(f"{url}/accounts/lookonly/groups/default/virtual_machines", headers=headers,
                     auth=AUTH)  # fmt: skip
    assert r.status_code == 200
    [vm] = r.json()
    assert set(vm) >= BASE_VM_KEYS and vm["name"] == "seen-vm"
    assert vm["hostname"] == "seen-vm.default.lookonly.uk0.bigv.io"
    one = requests.get(f"{url}/accounts/lookonly/groups/default/virtual_machines/{vm['id']}",
                       headers=headers, auth=AUTH)  # fmt: skip
    assert one.status_code == 200 and one.json() == vm


def test_authentication_and_visibility(url, s):
    r = requests.get(f"{url}/accounts")
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    assert requests.get(f"{url}/accounts", auth=("carol", "nope")).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert requests.get(f"{url}/accounts", headers=bad).status_code == 401
    key = {"Authorization": "Bearer apikey.carol-key"}
    names = [a["name"] for a in requests.get(f"{url}/accounts", headers=key).json()]
    assert names == ["clean", "lookonly"]
    for path in ("/accounts/other", "/accounts/other/groups/default/virtual_machines",
                 "/accounts/nosuch", f"{VMS}/999999"):  # fmt: skip
        assert s.get(url + path).status_code == 404, path
    hidden = f"{url}/accounts/other/groups/default/virtual_machines/hidden-vm"
    assert s.put(hidden, json={}).status_code == 404 and s.delete(hidden).status_code == 404


def test_lookonly_refuses_every_change(url, s):
    base = "/accounts/lookonly/groups/default"
    vm = f"{base}/virtual_machines/seen-vm"
    assert s.get(url + vm).status_code == 200
    calls = [
        ("put", vm, {"power_on": False}), ("delete", vm, None),
        ("post", f"{vm}/reimage", {"distribution": "stretch", "root_password": "pw"}),
        ("post", f"{vm}/signal", {"signal": "reset"}), ("post", f"{vm}/discs", {"size": 25600}),
        ("put", f"{vm}/discs/disc-1", {"size": 51200}), ("delete", f"{vm}/discs/disc-1", None),
        ("post", f"{base}/vm_create", json.loads(RUN_BODY.replace("NAME", "nope"))),
        ("post", f"{base}/virtual_machines", {"name": "nope"}),
        ("post", "/accounts/lookonly/groups", {"name": "newgroup"}), ("delete", base, None),
    ]  # fmt: skip
    for method, path, body in calls:
        r = s.request(method, url + path, json=body)
        assert r.status_code == 403 and r.json(), (method, path)
    assert s.get(url + vm).json()["power_on"] is True


def test_session_login_json_and_form(url):
    r = requests.post(f"{url}/session", headers={"Accept": "text/plain"},
                      json={"username": "carol", "password": "clean-secret"})  # fmt: skip
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    token = r.text
    info = requests.get(f"{url}/session/{token}", headers={"Accept": "application/json"})
    assert info.status_code == 200 and info.json()["username"] == "carol"
    bearer = {"Authorization": f"Bearer {token}", **JSON}
    assert requests.get(f"{url}/accounts/clean", headers=bearer).json()["name"] == "clean"
    form = requests.post(f"{url}/session", data={"username": "carol", "password": "clean-secret"})
    assert form.status_code == 200 and form.text and form.text != token
    bc = {"username": "carol", "password": "clean-secret", "validity": "1800"}
    assert requests.post(f"{url}/session", json=bc).status_code == 200
    bad = requests.post(f"{url}/session", json={"username": "carol", "password": "x"})
    assert bad.status_code == 400 and "Bad login credentials" in bad.text
    assert requests.post(f"{url}/session", data=b"{").status_code == 400
    assert requests.get(f"{url}/session/nosuchtoken").status_code == 404


def test_vm_create_run_body_and_provisioning(url, s):
    _, vm = create(s, url, "vm2")
    assert vm["hostname"] == "vm2.default.clean.uk0.bigv.io" and vm["memory"] == 2048
    assert vm["last_imaged_with"] == "stretch" and vm["head"]
    assert [d["label"] for d in vm["discs"]] == ["disc-1"] and vm["discs"][0]["size"] == 25600
    assert vm["network_interfaces"][0]["ips"] and vm["type"].startswith("application/vnd.bigv")
    body = RUN_BODY.replace("NAME", "vm2")
    again = s.post(f"{url}/accounts/clean/groups/default/vm_create", data=body)
    assert again.status_code == 400 and again.json() == {"name": ["has already been taken"]}


def test_power_table_and_updates(url, s):
    path, _ = create(s, url, "power1")

    def put(raw: str) -> dict:
        r = s.put(path, data=raw)
        assert r.status_code == 200, r.text
        return r.json()

    off = put('{"autoreboot_on":false, "power_on": false}')
    assert off["power_on"] is False and off["head"] is None
    assert put('{"autoreboot_on":true, "power_on": true}')["power_on"] is True
    assert put('{"autoreboot_on":true, "power_on": false}')["power_on"] is True  # restart
    assert put('{"autoreboot_on":false}')["autoreboot_on"] is False
    r = s.post(f"{path}/signal", data='{"signal": "powerdown"}')
    assert r.status_code == 200 and r.json() == {"signal": "powerdown"}
    assert s.get(path).json()["power_on"] is False
    assert put('{"memory": 4096}')["memory"] == 4096 and put('{"cores": 2}')["cores"] == 2
    assert put('{"hardware_profile": "virtio2018"}')["hardware_profile"] == "virtio2018"
    assert put('{"hardware_profile_locked": true}')["hardware_profile_locked"] is True
    iso = "http://example.com/x.iso"
    assert put('{"cdrom_url":"' + iso + '"}')["cdrom_url"] == iso
    assert put("{}")["cdrom_url"] == iso
    assert put('{"keymap": "en-gb", "bogus": 1}')["keymap"] == "en-gb"
    assert s.post(f"{url}/accounts/clean/groups", json={"name": "moveto"}).status_code == 201
    group = s.get(f"{url}/accounts/clean/groups/moveto").json()
    moved = put('{"name":"vm3","group_id":' + str(group["id"]) + "}")
    assert moved["hostname"] == "vm3.moveto.clean.uk0.bigv.io" and moved["group_id"] == group["id"]
    assert s.get(path).status_code == 404


def test_delete_undelete_purge(url, s):
    path, _ = create(s, url, "gone1")
    assert s.delete(path).status_code == 204
    assert s.get(path).status_code == 404
    assert all(v["name"] != "gone1" for v in s.get(url + VMS).json())
    listed = s.get(url + VMS, params={"include_deleted": "true"}).json()
    assert [v["deleted"] for v in listed if v["name"] == "gone1"] == [True]
    back = s.put(path, data='{"deleted":false}')
    assert back.status_code == 200 and back.json()["deleted"] is False
    assert s.delete(path, params={"purge": "true"}).status_code == 204
    assert s.get(path, params={"include_deleted": "true"}).status_code == 404
    create(s, url, "gone1")  # the name is free again


def test_reimage_and_signal(url, s):
    path, _ = create(s, url, "img1")
    bc = '{"distribution":"stretch","firstboot_script":"","root_password":"pw","ssh_public_key":""}'
    assert s.post(f"{path}/reimage", data=bc).status_code == 400  # still running
    s.put(path, data='{"autoreboot_on":false, "power_on": false}')
    r = s.post(f"{path}/reimage", data=bc)
    assert r.status_code == 200 and r.json() == json.loads(bc)
    vm = s.get(path).json()
    assert vm["power_on"] is True and vm["autoreboot_on"] is False
    s.put(path, data='{"autoreboot_on":false, "power_on": false}')
    doc = {"distribution": "wheezy", "root_password": "mysecurepassword"}
    assert s.post(f"{path}/reimage", json=doc).json() == doc
    assert s.get(path).json()["last_imaged_with"] == "wheezy"
    assert s.post(f"{path}/signal", data='{"signal":"reset"}').json() == {"signal": "reset"}
    key = {"signal": "sendkey", "data": "ctrl-alt-delete"}
    assert s.post(f"{path}/signal", json=key).json() == key
    bad = s.post(f"{path}/signal", json={"signal": "sendkey", "data": "ctrl-nokey"})
    assert bad.status_code == 400 and "data" in bad.json()
    s.post(f"{path}/signal", json={"signal": "powerdown"})
    assert s.post(f"{path}/signal", json={"signal": "reset"}).status_code == 400


def test_validation_errors(url, s):
    r = s.post(url + VMS, json={"memory": "lots", "cores": 1.5})
    assert r.status_code == 400
    assert r.json() == {"name": ["can't be blank"], "memory": ["is not a number"],
                        "cores": ["must be an integer"]}  # fmt: skip
    r = s.post(url + VMS, json={"name": "badprof", "hardware_profile": "virtio1999"})
    assert r.json() == {"hardware_profile": ["is not included in the list"]}
    spec = json.loads(RUN_BODY.replace("NAME", "badd"))
    spec["discs"].append({"label": "disc-2", "size": 10})
    r = s.post(f"{url}/accounts/clean/groups/default/vm_create", json=spec)
    assert r.status_code == 400 and r.json()["discs"][0] == {} and "size" in r.json()["discs"][1]
    assert s.get(f"{url}{VMS}/badd", params={"include_deleted": "true"}).status_code == 404
    assert s.post(url + VMS, data="{not json").status_code == 400
    assert s.post(url + VMS, data="[1]").json() == {"body": ["must be a JSON object"]}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = s.post(url + VMS, data="name=x", headers=form)
    assert r.status_code == 415
    r = s.post(url + VMS, json={"name": "bare1", "unknown_attr": True})
    assert r.status_code == 202 and r.json()["power_on"] is False and "unknown_attr" not in r.json()


def test_discs_and_nics(url, s):
    path, _ = create(s, url, "disky")
    r = s.post(f"{path}/discs", json={"label": "data", "size": 51200, "storage_grade": "ssd"})
    assert r.status_code == 201 and r.json()["storage_grade"] == "ssd"
    disc_id = r.json()["id"]
    assert s.get(f"{path}/discs/data").json()["id"] == disc_id
    assert s.put(f"{path}/discs/{disc_id}", json={"size": 102400}).json()["size"] == 102400
    assert s.put(f"{path}/discs/data", json={"size": 1024}).status_code == 400
    assert [d["label"] for d in s.get(f"{path}/discs").json()] == ["disc-1", "data"]
    assert s.post(f"{path}/discs", json={"label": "vda", "size": 25600}).status_code == 400
    assert s.delete(f"{path}/discs/data").status_code == 400
    assert s.delete(f"{path}/discs/data", params={"purge": "true"}).status_code == 400  # running
    s.put(path, data='{"autoreboot_on":false, "power_on": false}')
    assert s.delete(f"{path}/discs/data", params={"purge": "true"}).status_code == 204
    assert s.get(f"{path}/discs/data").status_code == 404
    [nic] = s.get(f"{path}/nics").json()
    assert s.get(f"{path}/nics/{nic['id']}").json() == nic and nic["label"] is None
    assert s.post(f"{path}/nics", json={}).status_code == 405
    assert s.delete(f"{path}/nics/{nic['id']}").status_code == 405


def test_accounts_and_groups(url, s):
    acc = s.get(f"{url}/accounts/clean", params={"view": "overview"}).json()
    assert acc["groups"][0]["name"] == "default" and "virtual_machines" in acc["groups"][0]
    assert s.get(f"{url}/accounts/{acc['id']}").json()["name"] == "clean"
    r = s.post(f"{url}/accounts/clean/groups", json={"name": "scratch"})
    assert r.status_code == 201
    gid = r.json()["id"]
    assert s.get(f"{url}/accounts/clean/groups/{gid}").json()["name"] == "scratch"
    assert s.post(f"{url}/accounts/clean/groups", json={"name": "scratch"}).status_code == 400
    path, _ = create(s, url, "ingroup", group="scratch")
    assert s.delete(f"{url}/accounts/clean/groups/scratch").status_code == 400
    s.delete(path, params={"purge": "true"})
    assert s.delete(f"{url}/accounts/clean/groups/scratch").status_code == 204
    assert s.delete(f"{url}/accounts/clean/groups/default").status_code == 400


def test_malformed_requests_get_4xx_with_body(url, s):
    cases = [
        ("post", VMS, '{"name": NaN}'), ("post", VMS, '{"cores": 1' + "0" * 5000 + "}"),
        ("post", VMS, "[" * 100000), ("post", VMS, b"\xff\xfe"), ("patch", VMS, "{}"),
        ("put", f"{VMS}/%ff%00", "{}"), ("get", "/accounts//groups", None),
        ("post", VMS, '{"name": "\\ud800xyz"}'), ("get", "/nothing/here", None),
        ("post", f"{VMS}", '{"name": "okname", "cdrom_url": "http://[::1"}'),
    ]  # fmt: skip
    for method, path, body in cases:
        r = s.request(method, url + path, data=body)
        assert 400 <= r.status_code < 500 and r.content, (method, path, r.status_code)


def test_cli_bad_flag_and_sigterm():
    bad = subprocess.run([sys.executable, "-m", "tests.cleanroom", "--port", "x"], cwd=ROOT,
                         capture_output=True, text=True, timeout=20)  # fmt: skip
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    proc, base = start()
    assert requests.get(f"{base}/definitions").status_code == 200
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0 and proc.stderr.read() == ""
