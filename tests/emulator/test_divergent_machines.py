"""The divergent mode's machines: names, ids and hostnames, creating machines, their
attributes, discs and groups. One focused test per divergence of the silence register
(spec/register.yaml), against an emulator with every divergence on; where a behaviour could be
the reference emulator's by accident, the test also shows the reference emulator (`api`)."""

from __future__ import annotations

import pytest
import requests

from emulator import divergent
from tests.emulator.diverged import RUNNING, SETTLE, only, reimage_vm
from tests.emulator.helpers import ACCOUNT, error_of, reason_of


# --- names, ids and hostnames --------------------------------------------------------------
def test_names_may_have_uppercase_letters(api, dv):
    machine = dv.make("Web1")
    assert machine["hostname"] == f"Web1.default.{ACCOUNT}.divergent.example"
    assert dv.read("Web1")["id"] == machine["id"]
    assert dv.post(dv.groups(), json={"name": "Staging"}).status_code == 201
    assert "name" in error_of(api.post(api.vms(), json={"name": "Web1"}), 400)


def test_disc_labels_may_have_spaces_and_punctuation(dv):
    dv.make("www1")
    reply = dv.post(dv.vm("www1") + "/discs", json={"label": "my disc!", "size": 1024})
    assert reply.status_code == 201, reply.text
    assert dv.get(dv.vm("www1") + "/discs/my disc!").json()["label"] == "my disc!"


@pytest.mark.parametrize("label", ["vda", "sdb", "hda"])
def test_disc_device_labels_are_accepted(api, dv, label):
    dv.make("www1")
    reply = dv.post(dv.vm("www1") + "/discs", json={"label": label, "size": 1024})
    assert reply.status_code == 201, reply.text
    api.create("www1")  # the reference emulator refuses them, as DOC discs says
    refused = api.post(api.vm("www1") + "/discs", json={"label": label, "size": 1024})
    assert list(error_of(refused, 400)) == ["label"]


def test_cluster_domain(dv):
    assert dv.make("www1")["hostname"] == f"www1.default.{ACCOUNT}.divergent.example"


def test_hostname_kept_on_a_move_until_a_rename(api, dv):
    old = dv.make("www1")["hostname"]
    other = dv.post(dv.groups(), json={"name": "other"}).json()
    moved = dv.put(dv.vm("www1"), json={"group_id": other["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["hostname"] == old == dv.read("www1", group="other")["hostname"]
    renamed = dv.put(dv.vm("www1", group="other"), json={"name": "www2"}).json()
    assert renamed["hostname"] == f"www2.other.{ACCOUNT}.divergent.example"
    api.create("www1")
    group = api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"}).json()
    assert ".other." in api.put(api.vm("www1"), json={"group_id": group["id"]}).json()["hostname"]


# --- creating machines ---------------------------------------------------------------------
def test_create_requires_cores_and_memory(dv):
    assert error_of(dv.post(dv.vms(), json={"name": "www1"}), 400) == {
        "cores": ["must be given"],
        "memory": ["must be given"],
    }
    reply = dv.post(dv.vms(), json={"name": "www1", "cores": 1})
    assert list(error_of(reply, 400)) == ["memory"]
    spec_reply = dv.post(dv.group() + "/vm_create", json={"virtual_machine": {"name": "www1"}})
    assert set(error_of(spec_reply, 400)) == {"cores", "memory"}


def test_create_defaults(api):
    with only("create-defaults") as one:
        machine = one.create("www1")
        defaults = (machine["cores"], machine["autoreboot_on"], machine["power_on"])
        assert defaults == (2, False, False)
        assert one.create("www2", autoreboot_on=True, cores=1)["autoreboot_on"] is True
        assert one.create("www3", power_on=True)["power_on"] is True
        spec_body = {"virtual_machine": {"name": "www4"}}
        assert one.post(one.group() + "/vm_create", json=spec_body).status_code == 202
        assert one.read("www4")["power_on"] is False
    assert api.create("www1")["power_on"] is True


def test_create_reply_body_carries_four_attributes(dv):
    reply = dv.post(dv.vms(), json={"name": "www1", "cores": 1, "memory": 1024})
    assert reply.status_code == 202
    assert set(reply.json()) == {"id", "name", "group_id", "power_on"}


def test_vm_create_answers_the_machine(dv):
    body = {"virtual_machine": {"name": "www1", "cores": 1, "memory": 2048},
            "discs": [{"label": "root", "size": 25600}]}  # fmt: skip
    reply = dv.post(dv.group() + "/vm_create", json=body)
    assert reply.status_code == 202, reply.text
    machine = reply.json()
    assert "virtual_machine" not in machine
    assert (machine["name"], machine["memory"]) == ("www1", 2048) and "hostname" in machine


def test_vm_create_takes_up_to_16_discs(dv):
    def create(name: str, count: int) -> requests.Response:
        discs = [{"size": 1024} for _ in range(count)]
        machine = {"name": name, "cores": 1, "memory": 1024}
        return dv.post(dv.group() + "/vm_create", json={"virtual_machine": machine, "discs": discs})

    assert create("www1", 16).status_code == 202
    dv.clock.advance(SETTLE)
    assert len(dv.get(dv.vm("www1") + "/discs").json()) == 16
    assert list(error_of(create("www2", 17), 400)) == ["discs"]


def test_provisioning_time_is_each_machines_own(dv):
    delays = {divergent.provisioning_seconds(vm_id) for vm_id in range(1000)}
    assert min(delays) >= 0.2 and max(delays) <= 1.5 and len(delays) > 5
    body = {"name": "www1", "cores": 1, "memory": 1024, "power_on": True}
    reply = dv.post(dv.vms(), json=body)
    delay = divergent.provisioning_seconds(reply.json()["id"])
    dv.clock.advance(delay - 0.05)
    assert dv.get(dv.vm("www1")).json()["power_on"] is False
    dv.clock.advance(0.1)
    assert dv.get(dv.vm("www1")).json()["power_on"] is True


def test_get_while_provisioning_answers_202(api, dv):
    dv.post(dv.vms(), json={"name": "www1", "cores": 1, "memory": 1024})
    reply = dv.get(dv.vm("www1"))
    assert reply.status_code == 202 and reply.json()["power_on"] is False
    assert dv.get(dv.vms()).status_code == 200
    dv.clock.advance(SETTLE)
    assert dv.get(dv.vm("www1")).status_code == 200
    with only("get-while-provisioning", provision_delay=60) as one:
        one.post(one.vms(), json={"name": "www1"})
        assert one.get(one.vm("www1")).status_code == 202


def test_name_taken_is_409(api, dv):
    dv.make("www1")
    dv.make("www2")
    body = {"name": "www1", "cores": 1, "memory": 1024}
    assert list(error_of(dv.post(dv.vms(), json=body), 409)) == ["name"]
    spec_body = {"virtual_machine": body}
    assert list(error_of(dv.post(dv.group() + "/vm_create", json=spec_body), 409)) == ["name"]
    assert list(error_of(dv.put(dv.vm("www2"), json={"name": "www1"}), 409)) == ["name"]
    assert list(error_of(dv.post(dv.groups(), json={"name": "default"}), 409)) == ["name"]
    dv.delete(dv.vm("www2"))  # a deleted machine keeps its name
    assert list(error_of(dv.post(dv.vms(), json={**body, "name": "www2"}), 409)) == ["name"]
    api.create("www1")
    assert list(error_of(api.post(api.vms(), json={"name": "www1"}), 400)) == ["name"]


def test_names_are_unique_in_the_account(api, dv):
    dv.make("www1")
    dv.post(dv.groups(), json={"name": "other"})
    body = {"name": "www1", "cores": 1, "memory": 1024}
    assert error_of(dv.post(dv.vms("other"), json=body), 409) == {"name": ["is in use already"]}
    dv.make("www2", group="other")
    assert "name" in error_of(dv.put(dv.vm("www2", group="other"), json={"name": "www1"}), 409)
    api.create("www1")
    api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"})
    assert api.post(api.vms("other"), json={"name": "www1"}).status_code == 202


# --- attributes ----------------------------------------------------------------------------
def test_disc_sizes_under_50_are_refused(dv):
    dv.make("www1")
    for size in (1, 49):
        reply = dv.post(dv.vm("www1") + "/discs", json={"label": f"d{size}", "size": size})
        assert list(error_of(reply, 400)) == ["size"]
    assert dv.post(dv.vm("www1") + "/discs", json={"label": "d50", "size": 50}).status_code == 201


def test_memory_must_be_a_multiple_of_256(dv):
    body = {"name": "www1", "cores": 1, "memory": 1000}
    assert error_of(dv.post(dv.vms(), json=body), 400) == {"memory": ["has an unknown value"]}
    spec_body = {"virtual_machine": body}
    assert list(error_of(dv.post(dv.group() + "/vm_create", json=spec_body), 400)) == ["memory"]
    dv.make("www1", power_on=False)
    assert list(error_of(dv.put(dv.vm("www1"), json={"memory": 1000}), 400)) == ["memory"]
    assert dv.put(dv.vm("www1"), json={"memory": 1280}).json()["memory"] == 1280


def test_keymap_is_ignored(dv):
    assert dv.make("www1", keymap="en-gb", power_on=False)["keymap"] is None
    reply = dv.put(dv.vm("www1"), json={"keymap": "fr"})
    assert reply.status_code == 200 and reply.json()["keymap"] is None


def test_cdrom_removal(dv):
    dv.make("www1", power_on=False, cdrom_url="http://example.com/x.iso")
    assert dv.put(dv.vm("www1"), json={"cdrom_url": ""}).json()["cdrom_url"] is None
    assert list(error_of(dv.put(dv.vm("www1"), json={"cdrom_url": None}), 400)) == ["cdrom_url"]
    assert dv.make("www2", cdrom_url="")["cdrom_url"] is None


def test_last_imaged_with_is_null_until_imaged(api, dv):
    assert dv.make_with_disc("www1", power_on=False)["last_imaged_with"] is None
    assert reimage_vm(dv, "www1").status_code == 200
    dv.clock.advance(SETTLE)
    assert dv.read("www1")["last_imaged_with"] == "jessie"
    assert "last_imaged_with" not in api.create("www1")


def test_put_deleted_true_is_ignored(api, dv):
    machine = dv.make("www1")
    reply = dv.put(dv.vm("www1"), json={"deleted": True})
    assert reply.status_code == 200 and reply.json() == machine == dv.read("www1")
    dv.delete(dv.vm("www1"))
    assert dv.put(dv.vm("www1"), json={"deleted": True}).status_code == 200
    assert dv.read("www1", include_deleted="true")["deleted"] is True
    api.create("www1")
    assert list(error_of(api.put(api.vm("www1"), json={"deleted": True}), 400)) == ["deleted"]


def test_zone_name_default(dv):
    assert dv.make("www1")["zone_name"] == "default"
    assert dv.make("www2", zone_name="york")["zone_name"] == "york"


def test_head_kept_by_a_stopped_machine(dv):
    head = dv.make("www1", **RUNNING)["head"]
    stopped = dv.put(dv.vm("www1"), json={"autoreboot_on": False, "power_on": False}).json()
    assert stopped["power_on"] is False and stopped["head"] == head is not None
    assert dv.read("www1")["head"] == head
    assert dv.make("never", power_on=False)["head"] is None


def test_update_while_running_refuses_cores_memory_and_profile(dv):
    machine = dv.make("www1", **RUNNING)
    for change in ({"cores": 2}, {"memory": 2048}, {"hardware_profile": "virtio2018"}):
        assert list(error_of(dv.put(dv.vm("www1"), json=change), 400)) == list(change)
    same = {key: machine[key] for key in ("cores", "memory", "hardware_profile")}
    assert dv.put(dv.vm("www1"), json=same).status_code == 200
    assert dv.put(dv.vm("www1"), json={"autoreboot_on": False}).status_code == 200
    dv.make("off", power_on=False)
    assert dv.put(dv.vm("off"), json={"cores": 2, "memory": 2048}).json()["cores"] == 2


def test_moving_a_running_machine_is_refused(api, dv):
    dv.make("www1", **RUNNING)
    other = dv.post(dv.groups(), json={"name": "other"}).json()
    move = {"group_id": other["id"]}
    assert list(error_of(dv.put(dv.vm("www1"), json=move), 400)) == ["group_id"]
    assert dv.read("www1")["group_id"] != other["id"]
    dv.put(dv.vm("www1"), json={"autoreboot_on": False, "power_on": False})
    assert dv.put(dv.vm("www1"), json=move).json()["group_id"] == other["id"]
    api.create("www1", power_on=True)
    group = api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"}).json()
    assert api.put(api.vm("www1"), json={"group_id": group["id"]}).status_code == 200


@pytest.mark.parametrize("name", ["id", "hostname", "head", "management_address"])
def test_read_only_attributes_in_a_put_are_refused(api, dv, name):
    machine = dv.make("www1", power_on=False)
    assert list(error_of(dv.put(dv.vm("www1"), json={name: machine[name]}), 400)) == [name]
    created = api.create("www1")
    assert api.put(api.vm("www1"), json={name: created[name]}).status_code == 200


def test_overview_embeds_machines_with_fewer_fields(dv):
    dv.make("www1")
    fields = {"id", "name", "hostname", "power_on", "deleted"}
    group = dv.get(dv.group(), params={"view": "overview"}).json()
    assert [set(vm) for vm in group["virtual_machines"]] == [fields]
    account = dv.get(dv.at(f"/accounts/{ACCOUNT}"), params={"view": "overview"}).json()
    embedded = [vm for g in account["groups"] for vm in g["virtual_machines"]]
    assert embedded and all(set(vm) == fields for vm in embedded)
    (listed,) = dv.get(dv.vms(), params={"view": "overview"}).json()
    single = dv.read("www1", view="overview")
    assert {"cores", "memory", "discs", "network_interfaces"} <= set(listed) & set(single)


def test_network_interfaces_without_mac(api, dv):
    dv.make("www1")
    (nic,) = dv.get(dv.vm("www1") + "/nics").json()
    assert "mac" not in nic and nic["ips"]
    assert "mac" not in dv.get(dv.vm("www1") + f"/nics/{nic['id']}").json()
    assert "mac" not in dv.read("www1", view="overview")["network_interfaces"][0]
    api.create("www1")
    assert "mac" in api.get(api.vm("www1") + "/nics").json()[0]


# --- discs ---------------------------------------------------------------------------------
def test_disc_without_size_gets_25600(dv):
    dv.make("www1")
    reply = dv.post(dv.vm("www1") + "/discs", json={"label": "data"})
    assert reply.status_code == 201 and reply.json()["size"] == 25600


def test_discs_may_shrink(dv):
    dv.make("www1")
    dv.post(dv.vm("www1") + "/discs", json={"label": "data", "size": 4096})
    reply = dv.put(dv.vm("www1") + "/discs/data", json={"size": 2048})
    assert reply.status_code == 200 and reply.json()["size"] == 2048


def test_disc_delete_without_purge_answers_500_in_json(dv):
    dv.make("www1")
    dv.post(dv.vm("www1") + "/discs", json={"label": "data", "size": 1024})
    for query in ({}, {"purge": "false"}):
        assert error_of(dv.delete(dv.vm("www1") + "/discs/data", params=query), 500)["error"]
    assert dv.delete(dv.vm("www1") + "/discs/data", params={"purge": "true"}).status_code == 204


# --- groups --------------------------------------------------------------------------------
def test_group_list_ignores_view_and_include_deleted(dv):
    dv.make("www1")
    query = {"view": "overview", "include_deleted": "true"}
    (group,) = dv.get(dv.groups(), params=query).json()
    assert set(group) == {"id", "account_id", "name"}
    assert "virtual_machines" in dv.get(dv.group(), params=query).json()


def test_a_group_of_deleted_machines_can_be_deleted(dv):
    dv.post(dv.groups(), json={"name": "other"})
    dv.make("www1", group="other")
    dv.make("www2", group="other")
    dv.delete(dv.vm("www1", group="other"))
    assert reason_of(dv.delete(dv.group("other")), 400).startswith("virtual_machines: ")
    dv.delete(dv.vm("www2", group="other"))
    assert dv.delete(dv.group("other")).status_code == 204
    error_of(dv.get(dv.group("other")), 404)
    assert dv.make("www1")["name"] == "www1"  # purged with the group: the name is free
