"""Delete, include_deleted, undelete and purge (bigv-api.md section 5.4)."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import error_of


def _listed(api, **query):
    return [vm["name"] for vm in api.get(api.vms(), params=query or None).json()]


def test_soft_delete_is_204_stops_and_hides_the_machine(api):
    api.create("www1", power_on=True)
    reply = api.delete(api.vm("www1"))
    assert reply.status_code == 204 and reply.content == b""
    error_of(api.get(api.vm("www1")), 404)
    assert _listed(api) == []
    deleted = api.read("www1", include_deleted="true")
    assert (deleted["deleted"], deleted["power_on"], deleted["head"]) == (True, False, None)


@pytest.mark.parametrize("value", ["true", "True", "TRUE"])
def test_include_deleted_true_in_every_client_spelling(api, value):
    api.create("www1")
    api.delete(api.vm("www1"))
    assert _listed(api, include_deleted=value) == ["www1"]
    assert api.get(api.vm("www1"), params={"include_deleted": value}).status_code == 200


@pytest.mark.parametrize("value", ["false", "False", "0", "1", "maybe", "", "yes"])
def test_include_deleted_anything_else_is_ignored_never_refused(api, value):
    api.create("www1")
    api.delete(api.vm("www1"))
    assert _listed(api, include_deleted=value) == []
    error_of(api.get(api.vm("www1"), params={"include_deleted": value}), 404)


def test_undelete_with_deleted_false(api):
    machine = api.create("www1", power_on=False)
    api.delete(api.vm("www1"))
    reply = api.put(api.vm("www1"), json={"deleted": False})
    assert reply.status_code == 200 and reply.json()["deleted"] is False
    assert api.read("www1") == machine


def test_deleted_true_is_not_a_way_to_delete(api):
    api.create("www1")
    assert error_of(api.put(api.vm("www1"), json={"deleted": True}), 400) == {
        "deleted": ["is not included in the list"]
    }
    assert api.read("www1")["deleted"] is False


def test_a_deleted_name_stays_taken_until_purged(api):
    api.create("www1")
    api.delete(api.vm("www1"))
    assert "name" in error_of(api.post(api.vms(), json={"name": "www1"}), 400)
    api.create("www2")
    assert "name" in error_of(api.put(api.vm("www2"), json={"name": "www1"}), 400)
    assert api.delete(api.vm("www1"), params={"purge": "true"}).status_code == 204
    assert api.post(api.vms(), json={"name": "www1"}).status_code == 202


def test_purge_removes_a_live_machine_for_good_and_frees_its_address(api):
    first = api.create("www1")
    assert api.delete(api.vm("www1"), params={"purge": "true"}).status_code == 204
    error_of(api.get(api.vm("www1"), params={"include_deleted": "true"}), 404)
    again = api.create("www1")
    assert again["id"] != first["id"]  # ids are never reused
    assert again["management_address"] == first["management_address"]  # back in the pool


@pytest.mark.parametrize("value", ["false", "False", "0", "soon", ""])
def test_purge_anything_but_true_is_a_soft_delete(api, value):
    api.create("www1")
    assert api.delete(api.vm("www1"), params={"purge": value}).status_code == 204
    assert api.read("www1", include_deleted="true")["deleted"] is True


def test_a_deleted_machine_can_be_purged(api):
    api.create("www1")
    api.delete(api.vm("www1"))
    assert api.delete(api.vm("www1"), params={"purge": "True"}).status_code == 204
    assert _listed(api, include_deleted="true") == []


def test_ids_are_never_reused_even_after_a_reset(api):
    first = api.create("www1")["id"]
    api.delete(api.vm("www1"), params={"purge": "true"})
    assert api.post(api.at("/_emulator/reset")).status_code == 200
    assert api.create("www1")["id"] > first
