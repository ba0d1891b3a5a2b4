"""Virtual machines (bigv-api.md sections 4, 5.1-5.3): create, provisioning, derived attributes,
partial update, rename and move."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

import spec
from emulator.config import EmulatorConfig
from emulator.server import Emulator, start
from spec import lifecycle
from tests.emulator.helpers import ACCOUNT, Api, FakeClock, error_of

DELAY = 60.0
VM_SCHEMA = spec.api()["components"]["schemas"]["VirtualMachine"]


def test_plain_create_answers_202_with_the_machine_as_created_so_far(api):
    reply = api.post(api.vms(), json={"name": "www1", "cores": 2, "power_on": True})
    assert reply.status_code == 202
    machine = reply.json()
    assert set(VM_SCHEMA["required"]) <= set(machine)
    assert (machine["power_on"], machine["head"]) == (False, None)  # provisioning
    assert machine["cores"] == 2 and machine["deleted"] is False


def test_vm_create_answers_202_with_machine_discs_and_reimage_without_password(api):
    body = {
        "virtual_machine": {"name": "vm2", "memory": 2048, "zone_name": "york"},
        "discs": [{"label": "disc-1", "storage_grade": "sata", "size": 25600}],
        "reimage": {"distribution": "stretch", "root_password": "pw", "ssh_public_key": ""},
    }
    reply = api.post(api.group() + "/vm_create", json=body)
    assert reply.status_code == 202
    result = reply.json()
    assert result["virtual_machine"]["name"] == "vm2"
    assert result["virtual_machine"]["zone_name"] == "york"
    assert [disc["label"] for disc in result["discs"]] == ["disc-1"]
    assert result["reimage"] == {"distribution": "stretch", "ssh_public_key": ""}
    machine = api.read("vm2", view="overview")
    assert machine["last_imaged_with"] == "stretch"
    assert [disc["size"] for disc in machine["discs"]] == [25600]


def test_defaults_fill_what_the_create_leaves_out(api):
    machine = api.create("bare")
    assert machine["power_on"] is lifecycle.create({}).pending["power_on"]
    sections = {
        section["id"]: section["data"] for section in api.get(api.at("/definitions")).json()
    }
    assert machine["hardware_profile"] in sections["hardware_profiles"]
    assert machine["zone_name"] in sections["zone_names"]
    assert (machine["cdrom_url"], machine["keymap"]) == (None, None)


def test_hostname_is_name_group_account_domain_and_follows_rename_and_move(api):
    machine = api.create("www1")
    assert machine["hostname"] == f"www1.default.{ACCOUNT}.uk0.bigv.io"
    renamed = api.put(api.vm("www1"), json={"name": "www2"}).json()
    assert renamed["hostname"] == f"www2.default.{ACCOUNT}.uk0.bigv.io"
    staging = api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "staging"}).json()
    moved = api.put(api.vm("www2"), json={"group_id": staging["id"]})
    assert moved.status_code == 200
    assert moved.json()["hostname"] == f"www2.staging.{ACCOUNT}.uk0.bigv.io"
    assert moved.json()["group_id"] == staging["id"]
    error_of(api.get(api.vm("www2")), 404)
    assert api.read("www2", group="staging")["id"] == machine["id"]


def test_move_and_rename_in_one_put_as_the_official_client_sends(api):
    machine = api.create("vm1")
    staging = api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "staging"}).json()
    body = f'{{"name":"vm3","group_id":{staging["id"]}}}'
    reply = api.put(api.vm(machine["id"]), data=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 200 and reply.json()["name"] == "vm3"


def test_move_to_an_invisible_or_unknown_group_is_400_and_changes_nothing(api):
    machine = api.create("www1")
    foreign = (
        Api(api.url, auth=("bob", "bobs-password"))
        .get(api.at("/accounts/foreign/groups/default"))
        .json()
    )
    for group_id in (foreign["id"], 999999):
        body = error_of(api.put(api.vm("www1"), json={"group_id": group_id}), 400)
        assert "group_id" in body
    assert api.read("www1") == machine


def test_move_into_a_group_where_the_name_is_taken_is_400(api):
    api.create("www1")
    staging = api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "staging"}).json()
    api.create("www1", group="staging")
    body = error_of(api.put(api.vm("www1"), json={"group_id": staging["id"]}), 400)
    assert body == {"name": ["has already been taken"]}


def test_head_is_set_while_running_and_null_when_off(api):
    running = api.create("on", power_on=True)
    assert running["head"] is not None
    stopped = api.create("off", power_on=False)
    assert stopped["head"] is None


def test_management_addresses_come_from_the_pool_and_differ(api):
    addresses = [api.create(f"vm{n}")["management_address"] for n in range(5)]
    assert len(set(addresses)) == 5
    for address in addresses:
        assert ipaddress.ip_address(address) in ipaddress.ip_network("192.0.2.0/24")


def test_an_exhausted_pool_refuses_creates_until_a_purge_frees_an_address():
    running = start(EmulatorConfig(address_pools=("192.0.2.0/30",)))
    try:
        api = Api(running.url)
        assert [api.create(f"vm{n}")["management_address"] for n in (1, 2)] == [
            "192.0.2.1",
            "192.0.2.2",
        ]
        assert "management_address" in error_of(api.post(api.vms(), json={"name": "vm3"}), 400)
        api.delete(api.vm("vm1"))  # a deleted machine keeps its address
        error_of(api.post(api.vms(), json={"name": "vm3"}), 400)
        api.delete(api.vm("vm1"), params={"purge": "true"})
        assert api.create("vm3")["management_address"] == "192.0.2.1"
    finally:
        running.stop()


def test_put_is_partial_ignores_unknown_attributes_and_answers_the_machine(api):
    machine = api.create("www1", cores=1, memory=1024)
    reply = api.put(api.vm("www1"), json={"memory": 2048, "flavour": "vanilla", "id": 99})
    assert reply.status_code == 200
    updated = reply.json()
    assert updated == {**machine, "memory": 2048}
    assert api.read("www1") == updated


def test_empty_put_changes_nothing(api):
    machine = api.create("www1")
    reply = api.put(api.vm("www1"), json={})
    assert reply.status_code == 200 and reply.json() == machine


def test_every_writable_attribute_updates(api):
    api.create("www1")
    changes = {
        "cores": 4,
        "memory": 4096,
        "cdrom_url": "http://example.com/x.iso",
        "keymap": "en-gb",
        "hardware_profile": "virtio2018",
        "hardware_profile_locked": True,
        "autoreboot_on": False,
    }
    updated = api.put(api.vm("www1"), json=changes).json()
    assert {key: updated[key] for key in changes} == changes
    cleared = api.put(api.vm("www1"), json={"cdrom_url": None, "keymap": None}).json()
    assert (cleared["cdrom_url"], cleared["keymap"]) == (None, None)


def test_zone_is_set_on_create_only(api):
    api.create("www1", zone_name="york")
    assert api.put(api.vm("www1"), json={"zone_name": "manchester"}).json()["zone_name"] == "york"


def test_a_name_is_unique_in_its_group(api):
    api.create("www1")
    assert error_of(api.post(api.vms(), json={"name": "www1"}), 400) == {
        "name": ["has already been taken"]
    }
    api.create("www2")
    assert "name" in error_of(api.put(api.vm("www2"), json={"name": "www1"}), 400)


def test_machines_are_addressed_by_id_or_name_and_accounts_and_groups_by_id_name_or_default(api):
    machine = api.create("www1")
    account = api.get(api.at(f"/accounts/{ACCOUNT}")).json()
    group = api.get(api.group()).json()
    for account_ref in (ACCOUNT, account["id"]):
        for group_ref in ("default", group["id"]):
            for vm_ref in ("www1", machine["id"]):
                assert api.read(vm_ref, group=group_ref, account=account_ref)["id"] == machine["id"]
    error_of(api.get(api.vm("www9")), 404)
    error_of(api.get(api.vm(machine["id"] + 1000)), 404)


def test_overview_embeds_discs_and_network_interfaces(api):
    machine = api.create("www1")
    plain = api.read("www1")
    assert "discs" not in plain and "type" not in plain
    overview = api.read("www1", view="overview")
    assert overview["type"] == "application/vnd.bigv.virtual-machine"
    (nic,) = overview["network_interfaces"]
    assert nic["ips"] == [machine["management_address"]]
    assert nic["virtual_machine_id"] == machine["id"] and nic["type"].endswith("network-interface")
    assert overview["discs"] == []


# --- provisioning takes time ---------------------------------------------------------------
@pytest.fixture(scope="module")
def slow() -> Iterator[tuple[Api, FakeClock]]:
    clock = FakeClock()
    running: Emulator = start(EmulatorConfig(provision_delay=DELAY), clock=clock)
    yield Api(running.url), clock
    running.stop()


def test_creation_provisions_for_the_delay_then_is_as_asked(slow):
    api, clock = slow
    created = api.post(api.vms(), json={"name": "slow1", "power_on": True}).json()
    clock.advance(DELAY / 2)
    during = api.read(created["id"])
    assert (during["power_on"], during["head"]) == (False, None)
    clock.advance(DELAY / 2)
    after = api.read(created["id"])
    assert after["power_on"] is True and after["head"] is not None


def test_vm_create_provisions_too(slow):
    api, clock = slow
    reply = api.post(api.group() + "/vm_create", json={"virtual_machine": {"name": "slow2"}})
    assert reply.status_code == 202
    assert api.read("slow2")["power_on"] is False
    clock.advance(DELAY)
    assert api.read("slow2")["power_on"] is True


def test_reimage_provisions_then_is_on_with_autoreboot_off(slow):
    api, clock = slow
    api.post(api.vms(), json={"name": "slow3", "power_on": False})
    clock.advance(DELAY)
    reply = api.post(
        api.vm("slow3") + "/reimage", json={"distribution": "jessie", "root_password": "x"}
    )
    assert reply.status_code == 200
    assert api.read("slow3")["power_on"] is False
    clock.advance(DELAY)
    after = api.read("slow3")
    assert (after["power_on"], after["autoreboot_on"]) == (True, False)
