"""Discs (resizable, purge to delete) and network interfaces (read-only)."""

from __future__ import annotations

import pytest

from emulator.model import DISC_MAX_SIZE, DISCS_PER_VM
from tests.emulator.helpers import error_of


@pytest.fixture
def vm(api):
    api.create("www1")
    return api.vm("www1")


def test_create_list_and_read_discs_by_id_or_label(api, vm):
    reply = api.post(vm + "/discs", json={"label": "data", "storage_grade": "ssd", "size": 20480})
    assert reply.status_code == 201
    disc = reply.json()
    assert (disc["label"], disc["size"], disc["storage_grade"]) == ("data", 20480, "ssd")
    assert disc["type"] == "application/vnd.bigv.disc" and disc["storage_pool"].endswith("ssd1")
    assert api.get(vm + "/discs").json() == [disc]
    assert api.get(vm + "/discs/data").json() == disc
    assert api.get(vm + f"/discs/{disc['id']}").json() == disc
    error_of(api.get(vm + "/discs/nope"), 404)


def test_disc_defaults_and_refusals(api, vm):
    first = api.post(vm + "/discs", json={"size": 1024}).json()
    assert (first["label"], first["storage_grade"]) == ("disc-1", "sata")
    assert error_of(api.post(vm + "/discs", json={"label": "vda", "size": 1}), 400) == {
        "label": ["is reserved (it looks like a device name)"]
    }
    assert error_of(api.post(vm + "/discs", json={"label": "disc-1", "size": 1}), 400) == {
        "label": ["has already been taken"]
    }
    assert "size" in error_of(api.post(vm + "/discs", json={"size": DISC_MAX_SIZE + 1}), 400)
    assert "storage_grade" in error_of(
        api.post(vm + "/discs", json={"size": 1, "storage_grade": "floppy"}), 400
    )


def test_a_machine_holds_at_most_eight_discs(api, vm):
    for _ in range(DISCS_PER_VM):
        assert api.post(vm + "/discs", json={"size": 1}).status_code == 201
    assert "discs" in error_of(api.post(vm + "/discs", json={"size": 1}), 400)


def test_discs_grow_only_and_take_an_iops_limit(api, vm):
    api.post(vm + "/discs", json={"label": "data", "size": 20480})
    grown = api.put(vm + "/discs/data", json={"size": 35840, "iops_limit": 500})
    assert grown.status_code == 200
    assert (grown.json()["size"], grown.json()["iops_limit"]) == (35840, 500)
    assert error_of(api.put(vm + "/discs/data", json={"size": 100}), 400) == {
        "size": ["must be greater than or equal to 35840"]
    }
    assert api.get(vm + "/discs/data").json()["size"] == 35840


def test_deleting_a_disc_needs_purge(api, vm):
    api.post(vm + "/discs", json={"label": "data", "size": 1})
    assert "purge" in error_of(api.delete(vm + "/discs/data"), 400)
    assert api.delete(vm + "/discs/data", params={"purge": "true"}).status_code == 204
    assert api.get(vm + "/discs").json() == []


def test_discs_of_a_deleted_machine_cannot_change(api, vm):
    api.post(vm + "/discs", json={"label": "data", "size": 1})
    api.delete(vm)
    assert "virtual_machine" in error_of(api.post(vm + "/discs", json={"size": 1}), 400)
    assert "virtual_machine" in error_of(api.put(vm + "/discs/data", json={"size": 2}), 400)


def test_network_interfaces_are_read_only(api, vm):
    machine = api.read("www1")
    (nic,) = api.get(vm + "/nics").json()
    assert nic["ips"] == [machine["management_address"]] and nic["label"] is None
    assert nic["vlan_num"] > 0 and len(nic["mac"].split(":")) == 6
    assert api.get(vm + f"/nics/{nic['id']}").json() == nic
    error_of(api.get(vm + f"/nics/{nic['id'] + 1000}"), 404)
    error_of(api.get(vm + "/nics/not-a-number"), 404)
    refused = api.put(vm + f"/nics/{nic['id']}", json={"label": "x"})
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
